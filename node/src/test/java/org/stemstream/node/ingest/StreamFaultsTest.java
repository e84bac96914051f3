package org.stemstream.node.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.hdf5.H5py;
import org.stemstream.node.Fixtures;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.cli.Scans;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.FaultInjection.SectorFrame;
import org.stemstream.emulator.FrameFeed;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/** What the node does when the detector side misbehaves: it keeps running and says exactly what happened. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamFaultsTest {
    private static final int W = 8;
    private static final int H = 5;

    @TempDir
    Path dir;

    private List<String> offline;

    private static SyntheticScan scan(long number) {
        return new SyntheticScan(number, W, H, 1, SyntheticDetector.typical(3), 16);
    }

    /** The events offline counting gives for the scan's frames, to compare every fault run against. */
    @BeforeAll
    void countOffline(@TempDir Path raw) throws Exception {
        offline = Fixtures.offlineEvents(scan(1), raw, "--background-threshold=29", "--xray-threshold=400");
    }

    private ScanView stream(StemstreamNode node, long number, FaultInjection faults, Duration idle) throws Exception {
        TestNodes.start(node, Scans.given(number, W, H, 29, 400, dir.resolve("scan" + number + ".h5"),
                idle.toMillis() / 1000.0));
        DetectorEmulator.run(new SyntheticFeed(scan(number), SyntheticDetector.NO_TRUTH),
                DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()), faults);
        return TestNodes.awaitFinished(node, number, Duration.ofSeconds(60));
    }

    @Test
    void lostSectorsLeaveTheirFramesIncompleteAndTheScanStillEnds() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            ScanView status = stream(node, 1, FaultInjection.NONE.withDrop(Set.of(new SectorFrame(2, 5),
                    new SectorFrame(0, 5), new SectorFrame(3, 17))), Duration.ofSeconds(30));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(W * H, status.framesCounted());
            assertEquals(2, status.framesIncomplete());
            assertTrue(status.message().contains("every producer sent its end of scan"), status.message());
            assertEquals("[4, 16]", H5py.run("""
                    import sys, h5py
                    print(list(h5py.File(sys.argv[1], 'r')['frame_status/incomplete'][()]))
                    """, dir.resolve("scan1.h5")));
            List<String> streamed = Fixtures.countedEvents(dir.resolve("scan1.h5"));
            for (int slot = 0; slot < W * H; slot++) {
                if (slot != 4 && slot != 16) {
                    assertEquals(offline.get(slot), streamed.get(slot), "frame slot " + slot);
                }
            }
        }
    }

    @Test
    void malformedAndForeignMessagesAreCountedAndDroppedWhileTheScanIsCountedExactly() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            ScanView status = stream(node, 1, FaultInjection.NONE.withMalformed(10, 7), Duration.ofSeconds(30));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(0, status.framesIncomplete());
            assertEquals(10, node.sectorStats(0).rejectedFor("malformed"));
            assertEquals(7, node.sectorStats(0).rejectedFor("unknown scan"));
            assertEquals(offline, Fixtures.countedEvents(dir.resolve("scan1.h5")));
        }
    }

    @Test
    void duplicateBlocksAreCountedAndDropped() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            ScanView status = stream(node, 1, FaultInjection.NONE.withDuplicate(Set.of(new SectorFrame(1, 3),
                    new SectorFrame(1, 30))), Duration.ofSeconds(30));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(2, status.duplicateBlocks() + status.lateBlocks());
            assertEquals(2, node.sectorStats(1).rejectedFor("duplicate") + node.sectorStats(1).rejectedFor("late"));
            assertEquals(offline, Fixtures.countedEvents(dir.resolve("scan1.h5")));
        }
    }

    @Test
    void anEndOfScanThatNeverComesEndsTheScanAfterItsIdleTimeout() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            long start = System.nanoTime();
            ScanView status = stream(node, 1, FaultInjection.NONE.withoutEnd(Set.of(1)), Duration.ofSeconds(3));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertTrue(status.message().contains("without data (no end of scan from sector 1 at "),
                    status.message());
            assertEquals(-1, status.sectors().get(1).blocksSent());
            assertEquals(W * H, status.framesCounted());
            assertTrue(seconds >= 3 && seconds < 30, "ended after " + seconds + " s");
            assertEquals(offline, Fixtures.countedEvents(dir.resolve("scan1.h5")));
        }
    }

    @Test
    void aStrayFrameNumberedBeyondTheScanIsRejectedAndNeverSampledForTheThresholds(@TempDir Path raw)
            throws Exception {
        List<String> computedOffline = Fixtures.offlineEvents(scan(1), raw);
        // A complete frame of a much brighter beam, numbered 99999 at position (0, 0) of the 8 x 5 scan.
        SyntheticScan bright = new SyntheticScan(1, W, H, 1, new SyntheticDetector(5, 2000, 0), 1);
        FrameFeed stray = renumbered(new SyntheticFeed(bright, SyntheticDetector.NO_TRUTH), 99999);
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.start(node, Scans.computed(1, W, H, dir.resolve("stray.h5"), 30));
            DetectorEmulator.Settings to = DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort());
            DetectorEmulator.run(stray, to, FaultInjection.NONE.withoutEnd(Set.of(0, 1, 2, 3)));
            assertTrue(TestNodes.eventually(Duration.ofSeconds(10), () -> java.util.stream.IntStream.range(0, 4)
                    .allMatch(s -> node.sectorStats(s).messages() == 1)), "the stray frame's four blocks arrived");
            DetectorEmulator.run(new SyntheticFeed(scan(1), SyntheticDetector.NO_TRUTH), to, FaultInjection.NONE);
            ScanView status = TestNodes.awaitFinished(node, 1, Duration.ofSeconds(60));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(W * H, status.framesCounted());
            assertEquals(4, status.rejectedBlocks(), status.describe());
            assertTrue(status.lastRejection().contains("frame 99999 is beyond scan 1's 40 frames"),
                    status.lastRejection());
            assertEquals(1, node.sectorStats(2).rejectedFor("frame outside scan"));
        }
        assertEquals(computedOffline, Fixtures.countedEvents(dir.resolve("stray.h5")));
    }

    @Test
    void moreFramesPerPositionThanDeclaredAreAVisibleProblemAndKeepTheLowestNumbered(@TempDir Path raw)
            throws Exception {
        // the detector takes 2 frames per position (frames 2p + 1 and 2p + 2 at position p), the scan declares 1
        SyntheticScan twice = new SyntheticScan(6, W, H, 2, SyntheticDetector.typical(3), 16);
        List<String> offlineTwice = Fixtures.offlineEvents(twice, raw, "--background-threshold=29",
                "--xray-threshold=400");
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.start(node, Scans.given(6, W, H, 29, 400, dir.resolve("twice.h5"), 30));
            DetectorEmulator.run(new SyntheticFeed(twice, SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()), FaultInjection.NONE);
            ScanView status = TestNodes.awaitFinished(node, 6, Duration.ofSeconds(60));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(W * H / 2, status.extraFrames(), status.describe());
            assertEquals(W * H / 2, status.framesMissing(), "frames 41 to 80 are beyond the scan's 40");
            assertEquals(4 * W * H, status.rejectedBlocks());
            assertTrue(status.message().contains(W * H / 2 + " extra frames left out: positions got more than the 1"
                    + " frame(s) the scan declared, and kept the lowest-numbered"), status.message());
        }
        List<String> streamed = Fixtures.countedEvents(dir.resolve("twice.h5"));
        for (int p = 0; p < W * H / 2; p++) {
            assertEquals(offlineTwice.get(2 * p), streamed.get(p), "position " + p + " keeps frame " + (2 * p + 1));
        }
    }

    @Test
    void aDetectorSetToAnotherScanNumberFailsTheScanWithARejectionThatSaysSo() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.start(node, Scans.computed(3, W, H, dir.resolve("wrong-number.h5"), 2));
            DetectorEmulator.run(new SyntheticFeed(scan(4), SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()), FaultInjection.NONE);
            ScanView status = TestNodes.awaitFinished(node, 3, Duration.ofSeconds(30));
            assertEquals(ScanView.State.FAILED, status.state(), status.describe());
            assertTrue(status.message().contains("160 blocks were rejected, the last as unknown scan: scan 4 is not"
                    + " being counted here"), status.message());
        }
    }

    /** The first frame of {@code feed} alone, numbered {@code frameNumber}. */
    private static FrameFeed renumbered(FrameFeed feed, long frameNumber) {
        return new FrameFeed() {
            @Override
            public long scanNumber() {
                return feed.scanNumber();
            }

            @Override
            public int frames() {
                return 1;
            }

            @Override
            public SectorReader reader(int sector) throws java.io.IOException {
                SectorReader reader = feed.reader(sector);
                return new SectorReader() {
                    @Override
                    public BlockHeader header(int index) {
                        BlockHeader h = reader.header(0);
                        return new BlockHeader(h.scanNumber(), frameNumber, h.scanWidth(), h.scanHeight(), 0, 0);
                    }

                    @Override
                    public byte[] payload(int index) throws java.io.IOException {
                        return reader.payload(0);
                    }
                };
            }
        };
    }

    @Test
    void aScanWithNoDataAtAllEndsWithEveryFrameMissing() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.start(node, Scans.given(9, 2, 2, 29, 400, dir.resolve("empty.h5"), 1));
            ScanView status = TestNodes.awaitFinished(node, 9, Duration.ofSeconds(30));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(4, status.framesMissing());
            assertEquals("[0, 1, 2, 3]", H5py.run("""
                    import sys, h5py
                    print(list(h5py.File(sys.argv[1], 'r')['frame_status/missing'][()]))
                    """, dir.resolve("empty.h5")));
        }
    }

    @Test
    void aProducerRestartedMidScanResendsAndTheNodeCountsEveryFrameOnce() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of("stemstream.stream.frame-timeout", "10s"))) {
            TestNodes.start(node, Scans.given(1, W, H, 29, 400, dir.resolve("restart.h5"), 30));
            SyntheticFeed feed = new SyntheticFeed(scan(1), SyntheticDetector.NO_TRUTH);
            DetectorEmulator.Settings to = DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort());
            // Sector 2's producer dies after frame 12: the later blocks and its end of scan never leave it.
            Set<SectorFrame> lost = new java.util.HashSet<>();
            for (long f = 13; f <= W * H; f++) {
                lost.add(new SectorFrame(2, f));
            }
            java.util.concurrent.CompletableFuture<DetectorEmulator.Result> others =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return DetectorEmulator.run(feed, to, FaultInjection.NONE.withDrop(lost)
                                    .withoutEnd(Set.of(2)));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
            // Its replacement starts over and sends the whole sector again, while the others go on (they end
            // their scan once the frames they sent are stored, which takes sector 2's blocks).
            DetectorEmulator.run(feed, to, FaultInjection.NONE, Set.of(2));
            others.join();
            ScanView status = TestNodes.awaitFinished(node, 1, Duration.ofSeconds(60));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(W * H, status.framesCounted());
            assertEquals(0, status.framesIncomplete());
            assertEquals(12, status.duplicateBlocks() + status.lateBlocks(), "the 12 blocks sent twice");
            assertEquals(offline, Fixtures.countedEvents(dir.resolve("restart.h5")));
        }
    }

    @Test
    void aSlowCountingStepMakesTheProducersWaitWithBoundedMemoryAndLosesNothing() throws Exception {
        Map<String, Object> slow = Map.of("stemstream.testing.counting-delay", "20ms",
                "stemstream.stream.counting-parallelism", 2, "stemstream.stream.max-open-frames", 8,
                "stemstream.ingress.receive-high-water-mark", 4);
        try (StemstreamNode node = TestNodes.node(slow)) {
            SyntheticScan big = new SyntheticScan(1, 16, 16, 1, SyntheticDetector.typical(3), 16);
            TestNodes.start(node, Scans.given(1, 16, 16, 29, 400, dir.resolve("slow.h5"), 30));
            long start = System.nanoTime();
            // A small send queue, so that the producers' own buffering does not hide the wait.
            DetectorEmulator.Result sent = DetectorEmulator.run(new SyntheticFeed(big, SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()).withSendHighWaterMark(8),
                    FaultInjection.NONE);
            double sending = (sent.lastSentNanos() - start) / 1e9;
            ScanView status = TestNodes.awaitFinished(node, 1, Duration.ofSeconds(60));
            double counting = 256 * 0.020 / 2;
            System.out.printf("backpressure: producers sent for %.2f s, counting takes %.2f s, peak buffers %d%n",
                    sending, counting, node.buffers().peakInUse());
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(256, status.framesCounted());
            assertEquals(0, status.framesIncomplete());
            // Unthrottled, the producers are done in a few tens of milliseconds; held back, they take most of the
            // counting time (the kernel's TCP buffers still let them run some frames ahead).
            assertTrue(sending > 0.4 * counting, "producers finished after " + sending + " s, counting takes "
                    + counting + " s");
            // Sector buffers ever in use at once: ZeroMQ's queues (4 x 4 + 4 decoding), prefetch (4 x 4), 8 open
            // frames (32) and 2 in counting (8) make 76 at most; without backpressure it would be all 1024.
            assertTrue(node.buffers().peakInUse() <= 80, "peak sector buffers in use " + node.buffers().peakInUse());
        }
    }
}
