package org.stemstream.node.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.stemstream.protocol.FrameGeometry.SECTORS;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.ClosedShape;
import org.apache.pekko.stream.FanInShape2;
import org.apache.pekko.stream.javadsl.GraphDSL;
import org.apache.pekko.stream.javadsl.RunnableGraph;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.Thresholds;
import org.stemstream.node.cli.Scans;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/** The threshold gate on its own: frames held while the cluster decides, let go with their plan. */
class ThresholdGateTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final CountingPlan PLAN = CountingPlan.of(PixelCorrection.none(), new Thresholds(29, 400));

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private final TestProbe<IngestReport> reports = KIT.createTestProbe();
    private BoundedSourceQueue<Assembled> frames;
    private BoundedSourceQueue<ScanControl> control;
    private SinkQueueWithCancel<Assembled> out;

    private void run() {
        Pair<BoundedSourceQueue<Assembled>, Source<Assembled, NotUsed>> in =
                Source.<Assembled>queue(16).preMaterialize(KIT.system());
        Pair<BoundedSourceQueue<ScanControl>, Source<ScanControl, NotUsed>> ctl =
                Source.<ScanControl>queue(16).preMaterialize(KIT.system());
        Pair<SinkQueueWithCancel<Assembled>, Sink<Assembled, NotUsed>> sink =
                Sink.<Assembled>queue().preMaterialize(KIT.system());
        frames = in.first();
        control = ctl.first();
        out = sink.first();
        RunnableGraph.fromGraph(GraphDSL.create(b -> {
            FanInShape2<Assembled, ScanControl, Assembled> gate = b.add(new ThresholdGate(8, reports.getRef()));
            b.from(b.add(in.second())).toInlet(gate.in0());
            b.from(b.add(ctl.second())).toInlet(gate.in1());
            b.from(gate.out()).to(b.add(sink.second()));
            return ClosedShape.getInstance();
        })).run(KIT.system());
    }

    private StreamedScan scan(long number, CountingPlan given) {
        return new StreamedScan(given == null ? Scans.computed(number, 2, 2, Path.of("unused.h5"), 20)
                : Scans.given(number, 2, 2, 29, 400, Path.of("unused.h5"), 20), PixelCorrection.none(),
                given);
    }

    private static Assembled.Frame frame(StreamedScan scan, long frameNumber) {
        SyntheticScan synthetic = new SyntheticScan(scan.scanNumber(), 2, 2, 1, SyntheticDetector.typical(3));
        byte[][] sectors = new byte[SECTORS][];
        for (int s = 0; s < SECTORS; s++) {
            sectors[s] = new byte[SECTOR_BYTES];
            synthetic.sector(frameNumber, s, ByteBuffer.wrap(sectors[s]).order(ByteOrder.LITTLE_ENDIAN),
                    SyntheticDetector.NO_TRUTH);
        }
        return new Assembled.Frame(scan, frameNumber, (int) frameNumber - 1, sectors, 0b1111, null);
    }

    private static Assembled.Frame got(CompletionStage<java.util.Optional<Assembled>> pulled) throws Exception {
        return assertInstanceOf(Assembled.Frame.class, pulled.toCompletableFuture().get(5, TimeUnit.SECONDS)
                .orElseThrow());
    }

    @Test
    void framesWaitForTheDecidedThresholdsAfterTheirSamplesWentOut() throws Exception {
        run();
        StreamedScan scan = scan(5, null);
        frames.offer(frame(scan, 1));
        IngestReport.Samples samples = reports.expectMessageClass(IngestReport.Samples.class);
        assertEquals(1, samples.frames().size(), "the scan samples its first complete frame");
        CompletionStage<java.util.Optional<Assembled>> pulled = out.pull();
        reports.expectNoMessage();
        assertFalse(pulled.toCompletableFuture().isDone(), "held until the thresholds are decided");

        control.offer(new ScanControl.Decide(5, PLAN));
        assertSame(PLAN, got(pulled).plan());
    }

    @Test
    void samplesGoAgainForALowerFrameAndForACoordinatorThatTookOver() throws Exception {
        run();
        StreamedScan scan = scan(7, null);
        frames.offer(frame(scan, 3));
        assertEquals(3, reports.expectMessageClass(IngestReport.Samples.class).frames().get(0).frames()[0]);
        frames.offer(frame(scan, 4));
        reports.expectNoMessage(); // not among the lowest: nothing new to say
        frames.offer(frame(scan, 1)); // sent again by the producers after the node that had it was lost
        IngestReport.Samples lower = reports.expectMessageClass(IngestReport.Samples.class);
        assertEquals(1, lower.frames().size());
        assertEquals(1, lower.frames().get(0).frames()[0], "the scan's first frame replaces the later one");

        control.offer(new ScanControl.SendSamples(7)); // the samples went to a coordinator that died
        assertEquals(1, reports.expectMessageClass(IngestReport.Samples.class).frames().get(0).frames()[0]);
        control.offer(new ScanControl.Decide(7, PLAN));
        for (long expected : new long[] {3, 4, 1}) {
            assertEquals(expected, got(out.pull()).frameNumber(), "held frames go on in the order they came");
        }
    }

    @Test
    void framesOfAScanWithGivenThresholdsPassWithTheirPlan() throws Exception {
        run();
        frames.offer(frame(scan(6, PLAN), 1));
        assertSame(PLAN, got(out.pull()).plan());
    }

    @Test
    void heldFramesOfACancelledScanGoOnWithoutAPlan() throws Exception {
        run();
        StreamedScan scan = scan(8, null);
        frames.offer(frame(scan, 1));
        reports.expectMessageClass(IngestReport.Samples.class);
        control.offer(new ScanControl.EndInput(8, true));
        assertNull(got(out.pull()).plan(), "its buffers go back uncounted");
    }
}
