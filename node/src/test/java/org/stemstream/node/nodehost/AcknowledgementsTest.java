package org.stemstream.node.nodehost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.cli.Scans;
import org.stemstream.protocol.StoredFrames;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;
import org.stemstream.producer.Connections;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMsg;

/** What a node tells producers on its routing socket about stored frames, and how it refuses what makes no sense. */
class AcknowledgementsTest {
    @TempDir
    Path dir;

    /** Asks as a producer does: an answer that does not come is asked for again (three tries of 3 s). */
    private static ZMsg ask(ZContext context, int port, String request) {
        for (int attempt = 0; attempt < 3; attempt++) {
            ZMQ.Socket socket = context.createSocket(SocketType.REQ);
            try {
                socket.setLinger(0);
                socket.setReceiveTimeOut(3_000);
                Connections.connect(socket, "tcp://127.0.0.1:" + port);
                socket.send(request.getBytes(StandardCharsets.US_ASCII), 0);
                ZMsg reply = ZMsg.recvMsg(socket);
                if (reply != null) {
                    return reply;
                }
            } finally {
                socket.close();
            }
        }
        throw new AssertionError("no answer to " + request);
    }

    private static String text(ZMsg reply) {
        return new String(reply.pop().getData(), StandardCharsets.UTF_8);
    }

    private static StoredFrames stored(ZMsg reply) {
        assertEquals(2, reply.size(), reply.toString());
        return StoredFrames.decode(reply.pop().getData(), reply.pop().getData());
    }

    @Test
    void aNodeSaysWhichFramesAreStoredAndRefusesRequestsThatMakeNoSense() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of()); ZContext context = new ZContext(1)) {
            TestNodes.start(node, Scans.given(5, 4, 4, 29, 400, dir.resolve("acked.h5"), 20));
            DetectorEmulator.run(new SyntheticFeed(new SyntheticScan(5, 4, 4, 1, SyntheticDetector.typical(2)),
                    SyntheticDetector.NO_TRUTH), DetectorEmulator.Settings.to("127.0.0.1",
                    node.settings().ingressPort()), FaultInjection.NONE);
            ScanView status = TestNodes.awaitFinished(node, 5, Duration.ofSeconds(30));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());

            int routing = node.settings().ingressPort() + 4;

            StoredFrames done = stored(ask(context, routing, new String(new StoredFrames.Request(5, 0, 20).encode(),
                    StandardCharsets.US_ASCII)));
            assertFalse(done.open(), "the scan's input has ended here");
            for (long f = 1; f <= 16; f++) {
                assertTrue(done.isStored(f), "frame " + f + " is stored");
            }
            assertFalse(done.isStored(0));
            assertFalse(done.isStored(17));

            StoredFrames unknown = stored(ask(context, routing, "stored 77 0 10"));
            assertFalse(unknown.open());
            assertEquals(0, unknown.stored().cardinality());

            for (String nonsense : new String[] {"stored 5 x y", "stored 5 10 2", "stored 5 0 99999999",
                                                 "stored 5"}) {
                ZMsg refused = ask(context, routing, nonsense);
                assertEquals(1, refused.size(), nonsense);
                assertTrue(text(refused).startsWith("stemstream-error "), nonsense);
            }
            // the node answers on: a table for a route request
            String table = text(ask(context, routing, "route"));
            assertTrue(table.startsWith("stemstream-routing 1"), table);
        }
    }
}
