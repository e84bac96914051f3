package org.stemstream.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.stemstream.producer.Connections;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.FrameGeometry;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Blocks pushed without seals straight into a secured node's sector port, as someone who knows the ports would: the
 * node counts them unauthenticated and takes none.
 */
public final class UnsealedPush {
    private UnsealedPush() {
    }

    /**
     * Pushes {@code blocks} blocks of the scan into the sector; returns how many the node has counted unauthenticated
     * once it has counted them all, or after 10 s.
     */
    public static long into(StemstreamNode node, int sector, long scanNumber, int blocks) throws Exception {
        int port = node.settings().ingressPort() + sector;
        try (ZContext context = new ZContext(1)) {
            ZMQ.Socket intruder = context.createSocket(SocketType.PUSH);
            intruder.setSendTimeOut(45_000);
            Connections.connect(intruder, "tcp://127.0.0.1:" + port);
            for (int f = 0; f < blocks; f++) {
                assertTrue(intruder.sendMore(new BlockHeader(scanNumber, f, 4, 4, f % 4, f / 4).toBytes())
                        && intruder.send(new byte[FrameGeometry.SECTOR_BYTES], 0), "sent");
            }
            TestNodes.eventually(Duration.ofSeconds(10),
                    () -> node.sectorStats(sector).rejectedFor("unauthenticated") >= blocks);
            return node.sectorStats(sector).rejectedFor("unauthenticated");
        }
    }
}
