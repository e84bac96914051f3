package org.stemstream.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.node.Fixtures;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.cli.Scans;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/** Several nodes (actor systems) in one JVM: a scan through the cluster, a node joining and one leaving mid-scan. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterScanTest {
    private static final int W = 40;
    private static final int H = 30;
    /** A short switch margin, so that a node joining a short scan still gets frames. */
    private static final Map<String, Object> QUICK_SWITCH = Map.of("stemstream.cluster.switch-margin-frames", 100);

    @TempDir
    Path dir;

    private List<String> offline;

    private static SyntheticScan scan(long number) {
        return new SyntheticScan(number, W, H, 1, SyntheticDetector.typical(8), 32);
    }

    @BeforeAll
    void countOffline(@TempDir Path raw) throws Exception {
        offline = Fixtures.offlineEvents(scan(1), raw, "--background-threshold=29", "--xray-threshold=400");
    }

    private static CompletableFuture<DetectorEmulator.Result> send(StemstreamNode contact, long scan, double rate) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return DetectorEmulator.run(new SyntheticFeed(scan(scan), SyntheticDetector.NO_TRUTH),
                        DetectorEmulator.Settings.to("127.0.0.1", contact.settings().ingressPort()).atRate(rate),
                        FaultInjection.NONE);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Waits until the detector's first 200 frames are counted: its pace is known to the coordinator by then. */
    private static void awaitStreaming(StemstreamNode node, long scan) throws Exception {
        assertTrue(TestNodes.eventually(Duration.ofSeconds(30), () -> node.statusNow(scan).framesCounted() >= 200),
                "the detector streams");
    }

    /**
     * Waits until every partition's counting worker runs on the node its frames are routed to (workers start with a
     * partition's first frame, so after a scan that reached every partition), and fails with the difference if not.
     */
    private static void assertWorkersFollowTheRoutingTable(List<StemstreamNode> nodes) throws Exception {
        if (!TestNodes.eventually(Duration.ofSeconds(15), () -> placementDifference(nodes).isEmpty())) {
            throw new AssertionError("counting workers are not where the routing table sends their frames: "
                    + placementDifference(nodes));
        }
    }

    private static String placementDifference(List<StemstreamNode> nodes) {
        org.stemstream.protocol.cluster.RoutingTable table = nodes.get(0).routingTable();
        StringBuilder difference = new StringBuilder();
        for (StemstreamNode node : nodes) {
            java.util.Set<Integer> routed = new java.util.TreeSet<>();
            for (int p = 0; p < table.partitions(); p++) {
                if (table.nodeOf(p).equals(node.address())) {
                    routed.add(p);
                }
            }
            java.util.Set<Integer> here = new java.util.TreeSet<>(node.countingPartitionsHere().toCompletableFuture()
                    .join());
            if (!here.equals(routed)) {
                difference.append(node.address()).append(" runs ").append(here).append(" but is routed ")
                        .append(routed).append("; ");
            }
        }
        return difference.toString();
    }

    private static void assertEveryNodeCounted(ScanView view, int nodes) {
        assertEquals(nodes, view.nodes().size(), view.describe());
        view.nodes().forEach(n -> assertTrue(n.framesCounted() > 0, n.node() + " counted nothing: " + view.describe()));
    }

    @Test
    void aScanThroughThreeNodesGivesExactlyTheEventsOfOfflineCounting() throws Exception {
        try (StemstreamNode seed = TestNodes.node(Map.of());
             StemstreamNode second = TestNodes.joining(seed, Map.of());
             StemstreamNode third = TestNodes.joining(seed, Map.of())) {
            StemstreamNode first = seed;
            TestNodes.awaitRouting(third, 3, Duration.ofSeconds(30));
            TestNodes.start(second, Scans.given(1, W, H, 29, 400, dir.resolve("three.h5"), 20));
            send(third, 1, 0).join();
            ScanView view = TestNodes.awaitFinished(seed, 1, Duration.ofSeconds(60));
            assertEquals(ScanView.State.DONE, view.state(), view.describe());
            assertEquals(W * H, view.framesCounted());
            assertEquals(0, view.framesIncomplete());
            assertEveryNodeCounted(view, 3);
            assertEquals(offline, Fixtures.countedEvents(dir.resolve("three.h5")));
            assertWorkersFollowTheRoutingTable(List.of(seed, second, third));
            // The sector entities hold each node's account: sector 2's messages add up to the scan's blocks.
            TestNodes.eventually(Duration.ofSeconds(10), () -> {
                var h = first.sectorHealth(2).toCompletableFuture().join();
                return h.nodes().size() == 3 && h.messages() >= W * H + 3;
            });
            org.stemstream.protocol.cluster.SectorProtocol.Health health =
                    first.sectorHealth(2).toCompletableFuture().join();
            assertEquals(3, health.nodes().size(), health.toString());
            assertEquals(W * H + 3, health.messages(), "blocks and the three ends of scan: " + health);
            // A node that leaves is no longer listed as receiving the sector.
            String leaving = third.address();
            third.close();
            assertTrue(TestNodes.eventually(Duration.ofSeconds(20), () -> first.sectorHealth(2).toCompletableFuture()
                    .join().nodes().stream().noneMatch(n -> n.node().equals(leaving))), "the node that left is gone");
        }
    }

    @Test
    void aNodeJoiningMidScanTakesPartitionsWithoutLosingFrames() throws Exception {
        try (StemstreamNode seed = TestNodes.node(QUICK_SWITCH);
             StemstreamNode second = TestNodes.joining(seed, QUICK_SWITCH)) {
            TestNodes.awaitRouting(seed, 2, Duration.ofSeconds(30));
            TestNodes.start(seed, Scans.given(1, W, H, 29, 400, dir.resolve("join.h5"), 20));
            // 8 s of frames: the third node joins a second in and takes its share well before the end
            CompletableFuture<DetectorEmulator.Result> sending = send(second, 1, 150);
            awaitStreaming(seed, 1);
            try (StemstreamNode third = TestNodes.joining(seed, QUICK_SWITCH)) {
                DetectorEmulator.Result sent = sending.join();
                assertEquals(0, sent.undeliverable());
                ScanView view = TestNodes.awaitFinished(seed, 1, Duration.ofSeconds(60));
                assertEquals(ScanView.State.DONE, view.state(), view.describe());
                assertEquals(W * H, view.framesCounted(), view.describe());
                assertEquals(0, view.framesIncomplete(), view.describe());
                assertEveryNodeCounted(view, 3);
                assertEquals(offline, Fixtures.countedEvents(dir.resolve("join.h5")));
                assertWorkersFollowTheRoutingTable(List.of(seed, second, third));
            }
        }
    }

    @Test
    void aNodeLeavingGracefullyMidScanHandsOverWithoutLosingFrames() throws Exception {
        // the producers switch at least 1.5 s of frames ahead (at 200 frames/s), well inside the 2.5 s drain
        Map<String, Object> drain = Map.of("stemstream.cluster.leave-drain", "2500ms",
                "stemstream.cluster.switch-margin-frames", 300);
        try (StemstreamNode seed = TestNodes.node(drain);
             StemstreamNode second = TestNodes.joining(seed, drain)) {
            StemstreamNode third = TestNodes.joining(seed, drain);
            TestNodes.awaitRouting(seed, 3, Duration.ofSeconds(30));
            TestNodes.start(seed, Scans.given(1, W, H, 29, 400, dir.resolve("leave.h5"), 20));
            CompletableFuture<DetectorEmulator.Result> sending = send(second, 1, 200);
            awaitStreaming(seed, 1);
            third.close(); // coordinated shutdown: announce, drain, hand over, leave
            DetectorEmulator.Result sent = sending.join();
            assertEquals(0, sent.undeliverable());
            ScanView view = TestNodes.awaitFinished(seed, 1, Duration.ofSeconds(60));
            assertEquals(ScanView.State.DONE, view.state(), view.describe());
            assertEquals(W * H, view.framesCounted(), view.describe());
            assertEquals(0, view.framesIncomplete(), view.describe());
            assertEquals("every producer sent its end of scan", view.message(), "the node that left handed over");
            assertEquals(offline, Fixtures.countedEvents(dir.resolve("leave.h5")));
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (seed.members().toCompletableFuture().join().members().size() != 2) {
                assertTrue(System.nanoTime() < deadline, "the leaving node is still a member");
                Thread.sleep(200);
            }
            assertWorkersFollowTheRoutingTable(List.of(seed, second));
        }
    }

    /** Waits until the sector's entity reports {@code producers} connected to {@code node}'s socket. */
    private static void awaitProducers(StemstreamNode node, int sector, int producers) throws Exception {
        boolean seen = TestNodes.eventually(Duration.ofSeconds(15), () -> node.sectorHealth(sector)
                .toCompletableFuture().join().nodes().stream()
                .anyMatch(r -> r.node().equals(node.address()) && r.producersConnected() == producers));
        if (!seen) {
            throw new AssertionError("sector " + sector + " never showed " + producers + " producer(s) on "
                    + node.address() + ": " + node.sectorHealth(sector).toCompletableFuture().join());
        }
    }

    @Test
    void aSectorsEntityShowsWhichNodeReceivesItAndWhetherItsProducersAreConnected() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of()); org.zeromq.ZContext zmq = new org.zeromq.ZContext()) {
            org.zeromq.ZMQ.Socket producer = zmq.createSocket(org.zeromq.SocketType.PUSH);
            producer.connect("tcp://127.0.0.1:" + (node.settings().ingressPort() + 1));
            awaitProducers(node, 1, 1);
            zmq.destroySocket(producer);
            awaitProducers(node, 1, 0);
        }
    }

    @Test
    void aDuplicateScanNumberAndBadSizesAreRefusedWithTheirReason() throws Exception {
        try (StemstreamNode seed = TestNodes.node(Map.of())) {
            TestNodes.awaitRouting(seed, 1, Duration.ofSeconds(30));
            TestNodes.start(seed, Scans.given(4, 2, 2, 29, 400, dir.resolve("four.h5"), 20));
            GatewayProtocol.ScanReply again = seed.startScan(Scans.given(4, 2, 2, 29, 400, dir.resolve("x.h5"), 20),
                    null).toCompletableFuture().join();
            assertTrue(((GatewayProtocol.ScanRefused) again).reason().contains("scan 4 is already running"));
            GatewayProtocol.ScanReply bad = seed.startScan(Scans.given(5, 0, 2, 29, 400, dir.resolve("y.h5"), 20),
                    null).toCompletableFuture().join();
            assertTrue(((GatewayProtocol.ScanRefused) bad).reason().contains("scan size 0x2 is outside"));
            GatewayProtocol.ScanReply unknown = seed.status(99).toCompletableFuture().join();
            assertTrue(((GatewayProtocol.ScanRefused) unknown).reason().contains("no scan 99"));
        }
    }
}
