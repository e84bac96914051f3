package org.stemstream.node.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.hdf5.H5py;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.ThresholdCalculator;
import org.stemstream.node.cli.Scans;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.ReplicaProtocol;
import org.stemstream.protocol.cluster.ScanCheckpoint;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.protocol.cluster.WorkerProtocol;
import org.stemstream.protocol.cluster.WriterProtocol;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/** A scan's lifecycle with real writers and files, nodes played by probes: each transition and how a scan ends. */
class ScanLifecycleTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private final TestProbe<NodeProtocol.Command> node1 = KIT.createTestProbe();
    private final TestProbe<NodeProtocol.Command> node2 = KIT.createTestProbe();
    private final TestProbe<GatewayProtocol.ScanReply> starter = KIT.createTestProbe();
    private final TestProbe<GatewayProtocol.ScanReply> replies = KIT.createTestProbe();
    private final TestProbe<CoordinatorProtocol.Command> coordinator = KIT.createTestProbe();
    private final TestProbe<CoordinatorProtocol.Command> roster = KIT.createTestProbe();
    private final TestProbe<ReplicaProtocol.Command> replica = KIT.createTestProbe();

    private ActorRef<CoordinatorProtocol.Command> start(ScanRequest request, boolean twoNodes) {
        Map<String, ActorRef<NodeProtocol.Command>> hosts = twoNodes
                ? Map.of("n1", node1.getRef(), "n2", node2.getRef()) : Map.of("n1", node1.getRef());
        ActorRef<CoordinatorProtocol.Command> scan = KIT.spawn(ScanLifecycle.create(request, starter.getRef(), hosts,
                coordinator.getRef(), roster.getRef(), new LocalListeners()));
        keepsTheReplica(node1, request.scanNumber(), scan);
        for (TestProbe<NodeProtocol.Command> node : twoNodes ? List.of(node1, node2) : List.of(node1)) {
            node.expectMessageClass(NodeProtocol.OpenScan.class, WAIT);
            if (request.thresholdsGiven()) {
                node.expectMessageClass(NodeProtocol.UseThresholds.class, WAIT);
            }
        }
        starter.expectNoMessage(Duration.ofMillis(200)); // the starter hears once every node has the scan open
        scan.tell(new CoordinatorProtocol.ScanOpened(request.scanNumber(), "n1"));
        if (twoNodes) {
            scan.tell(new CoordinatorProtocol.ScanOpened(request.scanNumber(), "n2"));
        }
        starter.expectMessageClass(GatewayProtocol.ScanFound.class, WAIT);
        return scan;
    }

    /** The scan asks a node other than the coordinator's to keep the copy of its stored events; the node does. */
    private void keepsTheReplica(TestProbe<NodeProtocol.Command> node, long number,
                                 ActorRef<CoordinatorProtocol.Command> scan) {
        NodeProtocol.KeepReplica keep = node.expectMessageClass(NodeProtocol.KeepReplica.class, WAIT);
        assertEquals(number, keep.scanNumber());
        scan.tell(new CoordinatorProtocol.ReplicaReady(number, "n1", replica.getRef()));
    }

    private ScanView view(ActorRef<CoordinatorProtocol.Command> scan, long number) {
        scan.tell(new GatewayProtocol.GetScan(number, replies.getRef()));
        return ((GatewayProtocol.ScanFound) replies.receiveMessage(WAIT)).view();
    }

    private ScanView finished(ActorRef<CoordinatorProtocol.Command> scan, long number) {
        scan.tell(new GatewayProtocol.WhenFinished(number, replies.getRef()));
        return ((GatewayProtocol.ScanFound) replies.receiveMessage(WAIT)).view();
    }

    /** The first checkpoint the scan hands its coordinator that satisfies {@code condition}. */
    private ScanCheckpoint checkpointWhere(java.util.function.Predicate<ScanCheckpoint> condition) {
        return ((ScanCoordinator.ScanUpdated) coordinator.fishForMessage(WAIT, m ->
                m instanceof ScanCoordinator.ScanUpdated u && condition.test(u.checkpoint())
                        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0)).checkpoint();
    }

    private static CoordinatorProtocol.NodeProgress ended(long scan, String node, String failure) {
        return new CoordinatorProtocol.NodeProgress(scan, node, 4, new long[] {4, 4, 4, 4}, new long[] {4, 4, 4, 4},
                0, 0, 0, "", 4, 10, true, failure);
    }

    /** A detector frame with read noise and electrons, as the simulator makes them. */
    private static ByteBuffer detectorFrame(long frameNumber) {
        ByteBuffer frame = ByteBuffer.allocate(FrameGeometry.FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        new SyntheticScan(31, 2, 2, 1, SyntheticDetector.typical(5)).frame(frameNumber, frame,
                SyntheticDetector.NO_TRUTH);
        return frame;
    }

    @Test
    void calibratingDecidesThresholdsFromSamplesThenStreamsAndCommitsWhenEveryNodeHasEnded() throws Exception {
        ScanRequest request = Scans.computed(31, 2, 2, dir.resolve("calibrated.h5"), 20);
        ActorRef<CoordinatorProtocol.Command> scan = start(request, false);
        assertEquals(ScanView.State.CALIBRATING, view(scan, 31).state());

        scan.tell(new CoordinatorProtocol.ThresholdSamples(31, "n1",
                List.of(ThresholdCalculator.sample(1, detectorFrame(1), PixelCorrection.none()))));
        NodeProtocol.Command decided = node1.receiveMessage(WAIT);
        if (!(decided instanceof NodeProtocol.UseThresholds use)) {
            throw new AssertionError("no thresholds: " + decided + "; " + view(scan, 31).message());
        }
        assertTrue(use.background() < use.xray(), use.toString());
        assertEquals(ScanView.State.STREAMING, view(scan, 31).state());

        scan.tell(ended(31, "n1", ""));
        ScanView done = finished(scan, 31);
        assertEquals(ScanView.State.DONE, done.state(), done.describe());
        assertEquals(4, done.framesMissing(), "no frame was counted: every slot is missing");
        assertTrue(Files.exists(dir.resolve("calibrated.h5")));
        assertTrue(Files.exists(dir.resolve("calibrated_scan.png")), "its pictures are there once it is done");
    }

    @Test
    void aCancelledScanEndsEveryNodesInputAndLeavesNoFile() {
        ScanRequest request = Scans.given(32, 2, 2, 29, 400, dir.resolve("cancelled.h5"), 20);
        ActorRef<CoordinatorProtocol.Command> scan = start(request, false);
        scan.tell(new GatewayProtocol.CancelScan(32, replies.getRef()));
        assertEquals(ScanView.State.FINALIZING, ((GatewayProtocol.ScanFound) replies.receiveMessage(WAIT)).view()
                .state());
        assertTrue(node1.expectMessageClass(NodeProtocol.EndScanInput.class, WAIT).cancel());

        scan.tell(ended(32, "n1", ""));
        assertEquals(ScanView.State.CANCELLED, finished(scan, 32).state());
        assertFalse(Files.exists(dir.resolve("cancelled.h5")));
    }

    @Test
    void aNodesFailureFailsTheScanWithItsReason() {
        ScanRequest request = Scans.given(33, 2, 2, 29, 400, dir.resolve("failed.h5"), 20);
        ActorRef<CoordinatorProtocol.Command> scan = start(request, true);
        scan.tell(ended(33, "n1", "cannot load the references: no such file"));
        assertFalse(node2.expectMessageClass(NodeProtocol.EndScanInput.class, WAIT).cancel());
        scan.tell(ended(33, "n2", ""));
        ScanView failed = finished(scan, 33);
        assertEquals(ScanView.State.FAILED, failed.state());
        assertTrue(failed.message().contains("cannot load the references"), failed.message());
        assertFalse(Files.exists(dir.resolve("failed.h5")));
    }

    @Test
    void aNodeGoneMidScanIsNotWaitedForAndItsFramesAreMissing() {
        ScanRequest request = Scans.given(34, 2, 2, 29, 400, dir.resolve("gone.h5"), 20);
        ActorRef<CoordinatorProtocol.Command> scan = start(request, true);
        scan.tell(ended(34, "n1", ""));
        assertEquals(ScanView.State.STREAMING, view(scan, 34).state(), "n2 has not ended yet");
        scan.tell(new ScanCoordinator.NodeGone("n2", "removed from the cluster", false));
        ScanView done = finished(scan, 34);
        assertEquals(ScanView.State.DONE, done.state(), done.describe());
        assertTrue(done.message().contains("n2 removed from the cluster"), done.message());
    }

    /** A batch of counted frames from {@code worker}, one event each, frame f at position f. */
    private static WriterProtocol.Frames batch(long scan, long number, TestProbe<WorkerProtocol.Command> worker,
                                               long... frames) {
        int[] positions = new int[frames.length];
        boolean[] complete = new boolean[frames.length];
        int[] counts = new int[frames.length];
        int[] events = new int[frames.length];
        for (int i = 0; i < frames.length; i++) {
            positions[i] = (int) frames[i];
            complete[i] = true;
            counts[i] = 1;
            events[i] = 1000 + (int) frames[i];
        }
        return new WriterProtocol.Frames(scan, number, frames, positions, complete, counts, events, worker.getRef());
    }

    @Test
    void aStoredBatchIsAcknowledgedByTheReplicaNotTheWriter() {
        ScanRequest request = Scans.given(36, 2, 2, 29, 400, dir.resolve("replicated.h5"), 20);
        ActorRef<CoordinatorProtocol.Command> scan = start(request, false);
        TestProbe<WorkerProtocol.Command> worker = KIT.createTestProbe();
        WriterProtocol.Frames stored = batch(36, 0, worker, 0, 1);
        scan.tell(stored);
        assertEquals(stored, replica.expectMessageClass(WriterProtocol.Frames.class, WAIT));
        worker.expectNoMessage(Duration.ofMillis(300)); // until the replica on the other node has it
        scan.tell(stored); // sent again (its acknowledgement was late): stored once, sent on again
        assertEquals(stored, replica.expectMessageClass(WriterProtocol.Frames.class, WAIT));
    }

    @Test
    void aScanWhoseCoordinatorWentGoesOnFromItsCheckpointWithEveryAcknowledgedFrame() throws Exception {
        ScanRequest request = Scans.given(35, 2, 2, 29, 400, dir.resolve("resumed.h5"), 20);
        ActorRef<CoordinatorProtocol.Command> first = start(request, true);
        TestProbe<WorkerProtocol.Command> worker = KIT.createTestProbe();
        WriterProtocol.Frames acknowledged = batch(35, 0, worker, 0, 1);
        first.tell(acknowledged);
        replica.expectMessageClass(WriterProtocol.Frames.class, WAIT);
        ScanCheckpoint checkpoint = checkpointWhere(c -> c.replica() != null);
        KIT.stop(first); // the coordinator's node died, and the writer with it

        ActorRef<CoordinatorProtocol.Command> resumed = KIT.spawn(ScanLifecycle.resume(checkpoint,
                Map.of("n1", node1.getRef(), "n2", node2.getRef()), coordinator.getRef(), roster.getRef(),
                new LocalListeners()));
        ReplicaProtocol.Restore restore = replica.expectMessageClass(ReplicaProtocol.Restore.class, WAIT);
        restore.writer().tell(acknowledged); // the replica sends what it kept to the new writer
        resumed.tell(new CoordinatorProtocol.Restored(35, "n1", 1));
        // the old replica is in this JVM, beside the new writer: it is released and another node keeps a new one
        replica.expectMessageClass(ReplicaProtocol.Release.class, WAIT);
        TestProbe<ReplicaProtocol.Command> second = KIT.createTestProbe();
        node1.expectMessageClass(NodeProtocol.KeepReplica.class, WAIT);
        resumed.tell(new CoordinatorProtocol.ReplicaReady(35, "n1", second.getRef()));
        assertEquals(acknowledged, second.expectMessageClass(WriterProtocol.Frames.class, WAIT),
                "the new replica gets every batch stored so far");
        for (TestProbe<NodeProtocol.Command> node : List.of(node1, node2)) { // the scan opens again on the nodes
            node.expectMessageClass(NodeProtocol.OpenScan.class, WAIT);
            assertEquals(29, node.expectMessageClass(NodeProtocol.UseThresholds.class, WAIT).background());
        }
        resumed.tell(batch(35, 1, worker, 2, 3)); // the producers sent the others again
        second.expectMessageClass(WriterProtocol.Frames.class, WAIT);

        resumed.tell(ended(35, "n1", ""));
        resumed.tell(ended(35, "n2", ""));
        ScanView done = finished(resumed, 35);
        assertEquals(ScanView.State.DONE, done.state(), done.describe());
        assertEquals(4, done.framesCounted(), done.describe());
        assertEquals(0, done.framesMissing(), done.describe());
        assertTrue(done.message().contains("the scan's coordinator moved to"), done.message());
        assertTrue(Files.exists(dir.resolve("resumed.h5")));
        second.expectMessageClass(ReplicaProtocol.Release.class, WAIT); // closed: the copy goes
    }

    @Test
    void aScanWhoseNodesEndedTheirInputWhileItsCoordinatorMovedIsCommittedAtOnce() throws Exception {
        ScanRequest request = Scans.given(38, 2, 2, 29, 400, dir.resolve("ended-meanwhile.h5"), 20);
        ActorRef<CoordinatorProtocol.Command> first = start(request, true);
        TestProbe<WorkerProtocol.Command> worker = KIT.createTestProbe();
        WriterProtocol.Frames everyFrame = batch(38, 0, worker, 0, 1, 2, 3);
        first.tell(everyFrame);
        replica.expectMessageClass(WriterProtocol.Frames.class, WAIT);
        ScanCheckpoint checkpoint = checkpointWhere(c -> c.replica() != null);
        KIT.stop(first); // the coordinator's node died at the end of the scan

        ActorRef<CoordinatorProtocol.Command> resumed = KIT.spawn(ScanLifecycle.resume(checkpoint,
                Map.of("n1", node1.getRef(), "n2", node2.getRef()), coordinator.getRef(), roster.getRef(),
                new LocalListeners()));
        replica.expectMessageClass(ReplicaProtocol.Restore.class, WAIT).writer().tell(everyFrame);
        // meanwhile every node got its producers' ends and ended its input: their last words reach the new one
        resumed.tell(ended(38, "n1", ""));
        resumed.tell(ended(38, "n2", ""));
        resumed.tell(new CoordinatorProtocol.Restored(38, "n1", 1));
        // committed once resumed, not after the idle timeout (20 s, counted from 20 s after the move)
        ScanView done = finished(resumed, 38);
        assertEquals(ScanView.State.DONE, done.state(), done.describe());
        assertEquals(4, done.framesCounted(), done.describe());
        assertTrue(done.message().contains("every producer sent its end of scan"), done.message());
    }

    private static org.stemstream.protocol.SampleStatistics sample(long frameNumber) {
        return ThresholdCalculator.sample(frameNumber, detectorFrame(frameNumber), PixelCorrection.none());
    }

    @Test
    void aScanWhoseCoordinatorWentWhileItCalibratedGetsItsSamplesAgainAndWaitsForTheFirstFrame() throws Exception {
        ScanRequest request = Scans.computed(37, 2, 2, dir.resolve("recalibrated.h5"), 20);
        ActorRef<CoordinatorProtocol.Command> first = start(request, true);
        ScanCheckpoint checkpoint = checkpointWhere(c -> c.replica() != null);
        assertEquals(ScanView.State.CALIBRATING, checkpoint.view().state());
        KIT.stop(first); // the coordinator's node died before the thresholds were decided

        ActorRef<CoordinatorProtocol.Command> resumed = KIT.spawn(ScanLifecycle.resume(checkpoint,
                Map.of("n1", node1.getRef(), "n2", node2.getRef()), coordinator.getRef(), roster.getRef(),
                new LocalListeners()));
        replica.expectMessageClass(ReplicaProtocol.Restore.class, WAIT);
        resumed.tell(new CoordinatorProtocol.Restored(37, "n1", 0));
        replica.expectMessageClass(ReplicaProtocol.Release.class, WAIT);
        node1.expectMessageClass(NodeProtocol.KeepReplica.class, WAIT);
        for (TestProbe<NodeProtocol.Command> node : List.of(node1, node2)) { // open again, and asked for samples
            node.expectMessageClass(NodeProtocol.OpenScan.class, WAIT);
            assertEquals(37, node.expectMessageClass(NodeProtocol.SendSamples.class, WAIT).scanNumber());
        }
        assertEquals(ScanView.State.CALIBRATING, view(resumed, 37).state());

        resumed.tell(new CoordinatorProtocol.ThresholdSamples(37, "n1", List.of(sample(2))));
        resumed.tell(new CoordinatorProtocol.ThresholdSamples(37, "n2", List.of(sample(3))));
        // every node answered, but frame 1 was on the dead node: the producers send it to another node
        node1.expectNoMessage(Duration.ofMillis(1500));
        resumed.tell(new CoordinatorProtocol.ThresholdSamples(37, "n2", List.of(sample(1))));
        double expected = ThresholdCalculator.compute(sample(1), request.thresholdSamples(),
                request.backgroundSigma(), request.xraySigma()).thresholds().background();
        for (TestProbe<NodeProtocol.Command> node : List.of(node1, node2)) {
            assertEquals(expected, node.expectMessageClass(NodeProtocol.UseThresholds.class, WAIT).background(),
                    "the thresholds of the scan's first frame, as offline counting computes them");
        }
        // and the coordinator moves once more, after the thresholds were decided (had they come from later frames,
        // the note saying so goes on with the scan)
        ScanCheckpoint decided = checkpointWhere(c -> c.view().state() == ScanView.State.STREAMING);
        String note = "thresholds from frame(s) 2: the scan's first frames had not reached a live node";
        ScanCheckpoint streaming = new ScanCheckpoint(decided.view(), decided.request(), decided.replica(),
                decided.nodes(), decided.partitions(), decided.samples(), note);
        KIT.stop(resumed);
        ActorRef<CoordinatorProtocol.Command> again = KIT.spawn(ScanLifecycle.resume(streaming,
                Map.of("n1", node1.getRef(), "n2", node2.getRef()), coordinator.getRef(), roster.getRef(),
                new LocalListeners()));
        for (TestProbe<NodeProtocol.Command> node : List.of(node1, node2)) {
            assertEquals(expected, node.fishForMessage(WAIT, m -> m instanceof NodeProtocol.UseThresholds
                    ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).stream()
                    .map(m -> ((NodeProtocol.UseThresholds) m).background()).findFirst().orElseThrow());
        }
        again.tell(ended(37, "n1", ""));
        again.tell(ended(37, "n2", ""));
        ScanView done = finished(again, 37);
        assertEquals(ScanView.State.DONE, done.state(), done.describe());
        assertEquals(expected, done.backgroundThreshold());
        assertTrue(done.message().contains(note), done.message());
        String metadata = H5py.run("""
                import sys, h5py
                m = h5py.File(sys.argv[1], 'r')['metadata/electron_counting'].attrs
                print(m['threshold_calculated'], m['threshold_frames'], m['background_threshold'])
                print(m['threshold_note'])
                """, dir.resolve("recalibrated.h5"));
        assertEquals("True 1 " + expected + "\n" + note, metadata.strip(),
                "the file says how the thresholds were computed");
    }
}
