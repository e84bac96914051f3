package org.stemstream.node.nodehost;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.WorkerProtocol;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * A counting worker's credit-based hop to the writer: at most {@link CountingWorker#MAX_UNSTORED_BATCHES} batches
 * unstored, replies to the stream held back while out of credit, and a scan's end that waits for the writer without
 * blocking anyone (the end-of-scan self-deadlock of a host that waited on acknowledgements addressed to itself).
 */
class CountingWorkerTest {
    private static final ActorTestKit KIT = ActorTestKit.create(ConfigFactory.parseString(
            "pekko.actor.provider = cluster\npekko.remote.artery.canonical.port = 0").withFallback(
            ConfigFactory.load()));
    private static final Duration QUIET = Duration.ofMillis(300);

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    /** The batches the worker sends towards the writer (through the coordinator; its progress reports left out). */
    private final TestProbe<WriterProtocol.Frames> writer = KIT.createTestProbe();
    private final ActorRef<CoordinatorProtocol.Command> coordinator = KIT.spawn(Behaviors.receiveMessage(m -> {
        if (m instanceof WriterProtocol.Frames batch) {
            writer.getRef().tell(batch);
        }
        return Behaviors.same();
    }));
    private final TestProbe<WorkerProtocol.Accepted> stream = KIT.createTestProbe();
    private final ActorRef<WorkerProtocol.Command> worker =
            KIT.spawn(CountingWorker.create(3, coordinator, new Acknowledgements()));

    private void count(long frame) {
        worker.tell(new WorkerProtocol.Count(9, frame, (int) frame, true, new int[] {(int) frame}, stream.getRef()));
    }

    /**
     * Counts frames {@code from} until {@code to}, each accepted at once. They go all together, as the stream sends
     * them: sent one at a time, each after the last reply, they took long enough on a busy machine for the worker's
     * ticks to send partial batches and spend its credit, and it rightly held its replies.
     */
    private void countAccepted(long from, long to) {
        for (long f = from; f < to; f++) {
            count(f);
        }
        for (long f = from; f < to; f++) {
            assertEquals(f, stream.receiveMessage().frameNumber());
        }
    }

    @Test
    void theWriterSlowsTheStreamOnceEightBatchesAreUnstored() {
        int batch = PartitionScan.MAX_FRAMES;
        int credit = CountingWorker.MAX_UNSTORED_BATCHES;
        // a batch goes when the next one begins: 9 batches' frames send 8, all within credit
        countAccepted(0, (long) (credit + 1) * batch);
        List<WriterProtocol.Frames> sent = new ArrayList<>();
        for (int b = 0; b < credit; b++) {
            sent.add(writer.expectMessageClass(WriterProtocol.Frames.class));
        }
        long next = (long) (credit + 1) * batch;
        count(next); // the ninth batch is full and has no credit: this frame's reply waits
        stream.expectNoMessage(QUIET);
        writer.expectNoMessage(QUIET);

        worker.tell(new WorkerProtocol.FramesStored(9, sent.get(0).batch()));
        WriterProtocol.Frames ninth = writer.expectMessageClass(WriterProtocol.Frames.class);
        assertEquals(batch, ninth.frameNumbers().length);
        assertEquals(next, stream.receiveMessage().frameNumber(), "the held reply goes once there is credit");
    }

    @Test
    void aScanEndsOnlyOnceEveryBatchIsStoredAndTheWorkerStaysResponsiveMeanwhile() {
        int credit = CountingWorker.MAX_UNSTORED_BATCHES;
        long frames = (long) credit * PartitionScan.MAX_FRAMES + 10; // the writer is 8 batches and some behind
        countAccepted(0, frames);
        TestProbe<WorkerProtocol.Flushed> end = KIT.createTestProbe();
        worker.tell(new WorkerProtocol.Flush(9, end.getRef()));
        end.expectNoMessage(QUIET);
        countAccepted(1_000_000, 1_000_001); // the worker keeps taking frames while its flush waits

        long stored = 0;
        while (stored < frames + 1) {
            WriterProtocol.Frames batch = writer.expectMessageClass(WriterProtocol.Frames.class, Duration.ofSeconds(3));
            stored += batch.frameNumbers().length;
            worker.tell(new WorkerProtocol.FramesStored(9, batch.batch()));
        }
        WorkerProtocol.Flushed flushed = end.receiveMessage(Duration.ofSeconds(3));
        assertEquals(3, flushed.partition());
        assertEquals(frames + 1, flushed.framesStored());
    }

    @Test
    void aFrameSentAgainIsTakenOnce() {
        count(5);
        count(5);
        stream.receiveMessage();
        stream.receiveMessage();
        TestProbe<WorkerProtocol.Flushed> end = KIT.createTestProbe();
        worker.tell(new WorkerProtocol.Flush(9, end.getRef()));
        WriterProtocol.Frames batch = writer.expectMessageClass(WriterProtocol.Frames.class);
        assertEquals(1, batch.frameNumbers().length);
        worker.tell(new WorkerProtocol.FramesStored(9, batch.batch()));
        assertEquals(1, end.receiveMessage().framesStored());
    }
}
