package org.stemstream.emulator;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.stemstream.producer.NodesUnreachable;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * With a send timeout, a detector whose nodes are gone gives up with one clear message instead of retrying for
 * ever. The "node" here is bare ZeroMQ sockets: a routing socket that answers a few times, and sector sockets.
 */
class SendTimeoutTest {
    /** Long enough for a first routing table on a loaded machine (500 ms was once too short). */
    private static final int TIMEOUT_MILLIS = 2_000;

    @Test
    void aNodeThatStopsTakingBlocksEndsTheRunNamingIt() throws Exception {
        int base = freeBase();
        try (ZContext context = new ZContext(); RoutingAnswers routing = new RoutingAnswers(context, base, 1_000)) {
            for (int s = 0; s < 4; s++) { // bound, but never received from: the queues fill and stay full
                ZMQ.Socket sector = context.createSocket(SocketType.PULL);
                sector.setRcvHWM(1);
                sector.bind("tcp://127.0.0.1:" + (base + s));
            }
            // 256 blocks of 166 kB per sector: more than the queues and the socket buffers between them hold
            NodesUnreachable e = failure(feed(16, 16), DetectorEmulator.Settings.to("127.0.0.1", base)
                    .withSendHighWaterMark(1).withSendTimeout(TIMEOUT_MILLIS));
            assertTrue(e.getMessage().matches("sector 0: 127.0.0.1:" + base + " took no block of frame \\d+ within"
                    + " " + TIMEOUT_MILLIS + " ms; sent \\d+ of 256 blocks, \\d+ unsent"), e.getMessage());
        }
    }

    @Test
    void nodesThatStopAnsweringForTheRoutingTableEndTheRun() throws Exception {
        int base = freeBase();
        try (ZContext context = new ZContext()) {
            for (int s = 0; s < 4; s++) { // they take blocks into their queues, as a node that died keeps doing
                ZMQ.Socket sector = context.createSocket(SocketType.PULL);
                sector.bind("tcp://127.0.0.1:" + (base + s));
            }
            // one answer for each producer's first table, then silence
            try (RoutingAnswers routing = new RoutingAnswers(context, base, 4)) {
                // 256 frames at 100 frames/s: the producers ask for the table again while they send
                NodesUnreachable e = failure(feed(16, 16), DetectorEmulator.Settings.to("127.0.0.1", base)
                        .atRate(100).withSendTimeout(TIMEOUT_MILLIS));
                assertTrue(e.getMessage().contains("no routing table from 127.0.0.1:" + base + " within "
                        + TIMEOUT_MILLIS + " ms"),
                        e.getMessage());
                assertTrue(e.getMessage().matches("sector \\d: .*; sent \\d+ of 256 blocks, \\d+ unsent"),
                        e.getMessage());
            }
        }
    }

    private static SyntheticFeed feed(int width, int height) {
        return new SyntheticFeed(new SyntheticScan(1, width, height, 1, SyntheticDetector.typical(1), 1),
                SyntheticDetector.NO_TRUTH);
    }

    /** Runs the detector on a thread of its own and returns how it failed; a run that never ends fails the test. */
    private static NodesUnreachable failure(FrameFeed feed, DetectorEmulator.Settings settings) throws Exception {
        CompletableFuture<DetectorEmulator.Result> run = CompletableFuture.supplyAsync(() -> {
            try {
                return DetectorEmulator.run(feed, settings, FaultInjection.NONE);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        try {
            run.get(2, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            return assertInstanceOf(NodesUnreachable.class, e.getCause());
        }
        throw new AssertionError("the detector sent its scan to nodes that are gone");
    }

    /** A base port whose next 4 ports are free as well (a node's sector sockets and its routing socket). */
    private static int freeBase() throws Exception {
        while (true) {
            int base;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                base = probe.getLocalPort();
            }
            if (base + 4 <= 65535 && freeFrom(base + 1)) {
                return base;
            }
        }
    }

    private static boolean freeFrom(int port) {
        for (int p = port; p < port + 4; p++) {
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                // free
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }

    /** A node's routing socket (port + 4) that answers the first {@code answers} requests with a one-node table. */
    private static final class RoutingAnswers implements AutoCloseable {
        private final Thread thread;
        private volatile boolean closing;

        RoutingAnswers(ZContext context, int base, int answers) {
            ZMQ.Socket socket = context.createSocket(SocketType.REP);
            socket.setLinger(0);
            socket.setReceiveTimeOut(100);
            socket.bind("tcp://127.0.0.1:" + (base + 4));
            byte[] table = RoutingTable.roundRobin(1, 0, 1,
                    List.of(new RoutingTable.Endpoint("node", "127.0.0.1", base))).encode();
            thread = new Thread(() -> {
                try {
                    for (int answered = 0; answered < answers && !closing; ) {
                        if (socket.recv(0) != null) {
                            socket.send(table, 0);
                            answered++;
                        }
                    }
                } finally {
                    socket.close();
                }
            }, "routing-answers");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            closing = true;
            thread.join();
        }
    }
}
