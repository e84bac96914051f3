package org.stemstream.node.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.node.Fixtures;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.cli.Scans;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;
import org.stemstream.producer.Connections;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Random and mutated messages on a node's sockets while a scan is open: every one is rejected and counted under a
 * reason, none reaches the scan, and the scan that follows is counted exactly. Fixed seed, bounded count.
 */
class IngressFuzzTest {
    private static final int W = 6;
    private static final int H = 4;
    private static final long SCAN = 5;
    private static final int MESSAGES_PER_SECTOR = 300;

    @TempDir
    Path dir;

    private static SyntheticScan scan() {
        return new SyntheticScan(SCAN, W, H, 1, SyntheticDetector.typical(8), 8);
    }

    @Test
    void randomAndMutatedMessagesAreRejectedAndTheScanIsCountedExactly(@TempDir Path raw) throws Exception {
        List<String> offline = Fixtures.offlineEvents(scan(), raw, "--background-threshold=29",
                "--xray-threshold=400");
        SplittableRandom random = new SplittableRandom(20261127);
        try (StemstreamNode node = TestNodes.node(Map.of());
             ZContext context = new ZContext()) {
            TestNodes.start(node, Scans.given(SCAN, W, H, 29, 400, dir.resolve("fuzzed.h5"), 30));
            int port = node.settings().ingressPort();
            List<ZMQ.Socket> sockets = new ArrayList<>();
            for (int s = 0; s < FrameGeometry.SECTORS; s++) {
                ZMQ.Socket push = context.createSocket(SocketType.PUSH);
                Connections.connect(push, "tcp://127.0.0.1:" + (port + s));
                sockets.add(push);
            }
            for (int i = 0; i < MESSAGES_PER_SECTOR; i++) {
                for (int s = 0; s < FrameGeometry.SECTORS; s++) {
                    sendInvalid(sockets.get(s), s, random);
                }
            }
            assertTrue(TestNodes.eventually(Duration.ofSeconds(30), () -> IntStream.range(0, FrameGeometry.SECTORS)
                            .allMatch(s -> rejected(node, s) == MESSAGES_PER_SECTOR)),
                    "every message rejected: " + IntStream.range(0, FrameGeometry.SECTORS)
                            .mapToObj(s -> node.sectorStats(s).rejections().toString()).toList());
            for (int s = 0; s < FrameGeometry.SECTORS; s++) {
                assertTrue(node.sectorStats(s).rejectedFor("malformed") > 0, "sector " + s);
                assertTrue(node.sectorStats(s).rejectedFor("impossible header") > 0, "sector " + s);
                assertTrue(node.sectorStats(s).rejectedFor("frame outside scan") > 0, "sector " + s);
                assertTrue(node.sectorStats(s).rejectedFor("unknown scan") > 0, "sector " + s);
            }
            // Then bytes that are not ZeroMQ at all (JeroMQ may read some as messages: rejected like the rest).
            rawTcpGarbage(port, random);

            DetectorEmulator.run(new SyntheticFeed(scan(), SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", port), FaultInjection.NONE);
            ScanView status = TestNodes.awaitFinished(node, SCAN, Duration.ofSeconds(60));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(W * H, status.framesCounted());
            assertEquals(0, status.framesIncomplete(), status.describe() + IntStream.range(0, 4)
                    .mapToObj(s -> node.sectorStats(s).rejections().toString()).toList());
        }
        assertEquals(offline, Fixtures.countedEvents(dir.resolve("fuzzed.h5")));
    }

    private static long rejected(StemstreamNode node, int sector) {
        return node.sectorStats(sector).rejections().values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * One message that must not be taken: random bytes, the wrong number of parts or sizes, an end of scan for
     * another scan or sector, or a block header with one field out of range for the open scan.
     */
    private static void sendInvalid(ZMQ.Socket socket, int sector, SplittableRandom random) {
        switch (random.nextInt(8)) {
            case 0 -> socket.send(bytes(random, random.nextInt(1, 64)), 0);
            case 1 -> {
                socket.sendMore(bytes(random, BlockHeader.BYTES));
                socket.sendMore(bytes(random, 10));
                socket.send(bytes(random, 10), 0);
            }
            case 2 -> {
                socket.sendMore(header(SCAN, 1 + random.nextInt(W * H), W, H, 0, 0));
                socket.send(bytes(random, random.nextInt(1, FrameGeometry.SECTOR_BYTES)), 0);
            }
            case 3 -> socket.send(new EndOfScan(SCAN + 1 + random.nextInt(100), sector, 5).toBytes(), 0);
            case 4 -> socket.send(new EndOfScan(SCAN, (sector + 1 + random.nextInt(3)) % 4, 5).toBytes(), 0);
            default -> {
                socket.sendMore(mutatedHeader(random));
                socket.send(bytes(random, FrameGeometry.SECTOR_BYTES), 0);
            }
        }
    }

    /** A block header of the open scan with one field out of its range. */
    private static byte[] mutatedHeader(SplittableRandom random) {
        long frame = 1 + random.nextInt(W * H);
        int x = random.nextInt(W);
        int y = random.nextInt(H);
        return switch (random.nextInt(5)) {
            case 0 -> header(SCAN, frame, W + 1 + random.nextInt(100), H, x, y);
            case 1 -> header(SCAN, frame, W, H, W + random.nextInt(1000), y);
            case 2 -> header(SCAN, frame, W, H, x, H + random.nextInt(1000));
            case 3 -> header(SCAN, W * H + 1 + random.nextLong(0xFFFF_FFFFL - W * H), W, H, x, y);
            default -> header(random.nextLong(SCAN + 1, 0x1_0000_0000L), frame, W, H, x, y);
        };
    }

    private static byte[] header(long scan, long frame, int width, int height, int x, int y) {
        return ByteBuffer.allocate(BlockHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt((int) scan)
                .putInt((int) frame).putShort((short) width).putShort((short) height).putShort((short) x)
                .putShort((short) y).array();
    }

    private static byte[] bytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    /** Bytes that are not ZeroMQ at all on a sector socket and the routing socket, and a frame that claims 2^62 bytes. */
    private static void rawTcpGarbage(int port, SplittableRandom random) throws Exception {
        for (int p : new int[] {port, port + 4}) {
            try (Socket tcp = new Socket("127.0.0.1", p)) {
                OutputStream out = tcp.getOutputStream();
                out.write(bytes(random, 4096));
                out.flush();
            }
            try (Socket tcp = new Socket("127.0.0.1", p)) {
                OutputStream out = tcp.getOutputStream();
                byte[] greeting = new byte[64];
                greeting[0] = (byte) 0xFF;
                greeting[9] = 0x7F;
                greeting[10] = 3; // ZMTP 3.0
                System.arraycopy("NULL".getBytes(), 0, greeting, 12, 4);
                out.write(greeting);
                out.write(ByteBuffer.allocate(9).put((byte) 0x02).putLong(1L << 62).array());
                out.flush();
            }
        }
    }
}
