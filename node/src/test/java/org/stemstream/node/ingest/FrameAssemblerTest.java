package org.stemstream.node.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.ClosedShape;
import org.apache.pekko.stream.UniformFanInShape;
import org.apache.pekko.stream.javadsl.GraphDSL;
import org.apache.pekko.stream.javadsl.RunnableGraph;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.node.cli.Scans;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;

/** The frame assembler on its own: sector messages and scan control in, frames and end marks out. */
class FrameAssemblerTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final int W = 8;
    private static final int H = 8;

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private final SectorBuffers buffers = new SectorBuffers(64);
    private final SectorStats[] stats = {new SectorStats(0), new SectorStats(1), new SectorStats(2),
            new SectorStats(3)};
    private final TestProbe<IngestReport> reports = KIT.createTestProbe();
    private final StreamedScan scan = new StreamedScan(Scans.given(7, W, H, 29, 400, Path.of("unused.h5"), 20),
            PixelCorrection.none(), null);
    private final List<BoundedSourceQueue<IngestInput>> inlets = new ArrayList<>();
    private SinkQueueWithCancel<Assembled> out;

    private void run(Duration frameTimeout) {
        List<Source<IngestInput, NotUsed>> sources = new ArrayList<>();
        for (int i = 0; i <= SECTORS; i++) {
            Pair<BoundedSourceQueue<IngestInput>, Source<IngestInput, NotUsed>> queue =
                    Source.<IngestInput>queue(16).preMaterialize(KIT.system());
            inlets.add(queue.first());
            sources.add(queue.second());
        }
        Pair<SinkQueueWithCancel<Assembled>, Sink<Assembled, NotUsed>> sink =
                Sink.<Assembled>queue().preMaterialize(KIT.system());
        out = sink.first();
        RunnableGraph.fromGraph(GraphDSL.create(b -> {
            UniformFanInShape<IngestInput, Assembled> assembler = b.add(new FrameAssembler(buffers, stats,
                    reports.getRef(), 8, frameTimeout));
            for (int i = 0; i <= SECTORS; i++) {
                b.from(b.add(sources.get(i))).toInlet(assembler.in(i));
            }
            b.from(assembler.out()).to(b.add(sink.second()));
            return ClosedShape.getInstance();
        })).run(KIT.system());
        inlets.get(FrameAssembler.CONTROL).offer(new ScanControl.Open(scan));
        assertEquals(7, reports.expectMessageClass(IngestReport.Opened.class).scanNumber());
    }

    private void block(long scanNumber, long frame, int sector) {
        int position = (int) (frame - 1);
        inlets.get(sector).offer(new SectorMessage.Block(sector,
                new BlockHeader(scanNumber, frame, W, H, position % W, position / W), buffers.take()));
    }

    private Assembled next() throws Exception {
        return out.pull().toCompletableFuture().get(5, TimeUnit.SECONDS).orElseThrow();
    }

    @Test
    void aFrameGoesOnWhenItsFourthSectorArrives() throws Exception {
        run(Duration.ofSeconds(30));
        for (int s = 0; s < SECTORS; s++) {
            block(7, 3, s);
        }
        Assembled.Frame frame = assertInstanceOf(Assembled.Frame.class, next());
        assertEquals(3, frame.frameNumber());
        assertEquals(2, frame.position());
        assertTrue(frame.complete());
    }

    @Test
    void aFrameWhoseMissingSectorWasPassedGoesOnIncompleteAfterTheFrameTimeout() throws Exception {
        run(Duration.ofMillis(200));
        for (int s = 0; s < SECTORS - 1; s++) {
            block(7, 1, s);
        }
        block(7, 2, SECTORS - 1); // sector 3's producer is past frame 1: its block of frame 1 is lost
        Assembled.Frame frame = assertInstanceOf(Assembled.Frame.class, next());
        assertEquals(1, frame.frameNumber());
        assertFalse(frame.complete());
        assertEquals(0b0111, frame.mask());
    }

    @Test
    void aFrameWaitsPastTheTimeoutForASectorWhoseProducerIsBehind() throws Exception {
        run(Duration.ofMillis(200));
        for (int s = 0; s < SECTORS - 1; s++) {
            block(7, 1, s);
        }
        // sector 3's producer has not reached frame 1 (it waits for room in its retention): five frame timeouts on,
        // the frame still waits for it
        java.util.concurrent.CompletableFuture<java.util.Optional<Assembled>> early =
                out.pull().toCompletableFuture();
        assertThrows(java.util.concurrent.TimeoutException.class, () -> early.get(1, TimeUnit.SECONDS));
        block(7, 1, SECTORS - 1);
        Assembled.Frame frame = assertInstanceOf(Assembled.Frame.class, early.get(5, TimeUnit.SECONDS).orElseThrow());
        assertTrue(frame.complete());
    }

    /**
     * Two sectors' producers send a lost node's frames again first, the other two send a newer frame before them (each
     * learnt of the loss at its own moment): the open frames fill the bound, and the lagging sectors still get in.
     */
    @Test
    void sectorsThatSendANewerFrameBeforeTheFramesOthersOpenedStillCompleteThem() throws Exception {
        run(Duration.ofSeconds(30));
        for (long f = 1; f <= 8; f++) { // the bound: 8 frames open
            block(7, f, 0);
            block(7, f, 1);
        }
        awaitTaken(0, 8);
        awaitTaken(1, 8);
        for (int s = 2; s < SECTORS; s++) {
            block(7, 12, s);
            for (long f = 1; f <= 8; f++) {
                block(7, f, s);
            }
        }
        for (long f = 1; f <= 8; f++) {
            Assembled.Frame frame = assertInstanceOf(Assembled.Frame.class, next());
            assertEquals(f, frame.frameNumber());
            assertTrue(frame.complete());
        }
    }

    /** Waits until the assembler has taken {@code blocks} blocks of {@code sector}. */
    private void awaitTaken(int sector, long blocks) {
        reports.fishForMessage(Duration.ofSeconds(5), report -> report instanceof IngestReport.InputProgress p
                && p.blocks()[sector] == blocks
                ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
                : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    }

    @Test
    void aSectorSendingOldFramesFirstAndOthersSendingNewOnesFirstDoNotHoldEachOtherUp() throws Exception {
        run(Duration.ofSeconds(30));
        for (long f = 1; f <= 12; f++) { // sector 1 sends a lost node's frames again first: 12 frames, the bound 8
            block(7, f, 1);
        }
        awaitTaken(1, 8);
        for (int s : new int[] {0, 2, 3}) { // the others send their newer frames first
            for (long f = 40; f <= 50; f++) {
                block(7, f, s);
            }
        }
        awaitTaken(1, 12); // the frames the others opened wait for sector 1: it may open its old ones beyond the bound
        for (long f = 40; f <= 50; f++) {
            block(7, f, 1);
        }
        for (int s : new int[] {0, 2, 3}) {
            for (long f = 1; f <= 12; f++) {
                block(7, f, s);
            }
        }
        java.util.Set<Long> complete = new java.util.TreeSet<>();
        for (int i = 0; i < 23; i++) {
            Assembled.Frame frame = assertInstanceOf(Assembled.Frame.class, next());
            assertTrue(frame.complete(), "frame " + frame.frameNumber());
            complete.add(frame.frameNumber());
        }
        assertEquals(23, complete.size());
    }

    @Test
    void foreignAndDuplicateBlocksAreCountedOnTheirSectorAndDropped() throws Exception {
        run(Duration.ofSeconds(30));
        block(99, 1, 0);
        block(7, 1, 0);
        block(7, 1, 1);
        block(7, 1, 1); // while the frame is still open: a duplicate, not a late block
        reports.awaitAssert(() -> {
            assertEquals(1, stats[1].rejectedFor("duplicate"));
            return null;
        });
        block(7, 1, 2);
        block(7, 1, 3);
        assertTrue(assertInstanceOf(Assembled.Frame.class, next()).complete());
        assertEquals(1, stats[0].rejectedFor("unknown scan"));
        assertEquals(1, stats[1].rejectedFor("duplicate"));
    }

    @Test
    void theEndOfInputHandsOnOpenFramesThenTheEndMark() throws Exception {
        run(Duration.ofSeconds(30));
        block(7, 2, 0);
        block(7, 2, 1);
        for (int s = 0; s < SECTORS; s++) {
            inlets.get(s).offer(new SectorMessage.End(s, new EndOfScan(7, s, s < 2 ? 1 : 0)));
        }
        Assembled.Frame frame = assertInstanceOf(Assembled.Frame.class, next());
        assertEquals(0b0011, frame.mask());
        assertInstanceOf(Assembled.InputEnded.class, next());
        IngestReport.InputProgress input = reports.expectMessageClass(IngestReport.InputProgress.class);
        assertEquals(1, input.framesAssembled());
        assertEquals(1, input.sent()[0]);

        block(7, 3, 0); // after the end: late
        inlets.get(FrameAssembler.CONTROL).offer(new ScanControl.EndInput(7, false)); // ends once only
        reports.awaitAssert(() -> {
            assertEquals(1, stats[0].rejectedFor("late"));
            return null;
        });
    }

    @Test
    void aCancelledScanDropsItsOpenFrames() throws Exception {
        run(Duration.ofSeconds(30));
        block(7, 4, 0);
        inlets.get(FrameAssembler.CONTROL).offer(new ScanControl.EndInput(7, true));
        assertInstanceOf(Assembled.InputEnded.class, next(), "the open frame went nowhere");
    }

    @Test
    void aLeavingNodeHandsItsIncompleteFramesOverInsteadOfCountingThem() throws Exception {
        run(Duration.ofMillis(300));
        inlets.get(FrameAssembler.CONTROL).offer(new ScanControl.HandOver(7));
        block(7, 5, 0); // times out while handed over: dropped, its producers send it again elsewhere
        block(7, 6, 1);
        for (int s = 0; s < SECTORS; s++) {
            block(7, 7, s); // whole: counted here as ever
        }
        assertEquals(7, assertInstanceOf(Assembled.Frame.class, next()).frameNumber());
        inlets.get(FrameAssembler.CONTROL).offer(new ScanControl.EndInput(7, false));
        assertInstanceOf(Assembled.InputEnded.class, next(), "the incomplete frames went nowhere");
    }
}
