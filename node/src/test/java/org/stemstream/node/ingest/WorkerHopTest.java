package org.stemstream.node.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.node.cli.Scans;
import org.stemstream.node.nodehost.CountingWorker;
import org.stemstream.protocol.cluster.WorkerProtocol;

/**
 * The hop to the counting workers, with probes for workers: elements leave in order once accepted, a scan's end mark
 * asks for a flush only after every frame before it was accepted, and later frames go to the worker that answered.
 */
class WorkerHopTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final Duration WAIT = Duration.ofSeconds(5);

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private final TestProbe<WorkerProtocol.Command> sharding0 = KIT.createTestProbe();
    private final TestProbe<WorkerProtocol.Command> sharding1 = KIT.createTestProbe();
    private final TestProbe<WorkerProtocol.Command> worker0 = KIT.createTestProbe();
    private final TestProbe<IngestReport> reports = KIT.createTestProbe();
    private final StreamedScan scan = new StreamedScan(Scans.given(3, 4, 4, 29, 400, Path.of("unused.h5"), 20),
            PixelCorrection.none(), null);
    private BoundedSourceQueue<Assembled> in;
    private SinkQueueWithCancel<Assembled> out;

    private void run() {
        Pair<BoundedSourceQueue<Assembled>, Source<Assembled, NotUsed>> source =
                Source.<Assembled>queue(16).preMaterialize(KIT.system());
        in = source.first();
        out = source.second().via(new WorkerHop(2, p -> TestEntityRef.of(CountingWorker.TYPE_KEY,
                Integer.toString(p), (p == 0 ? sharding0 : sharding1).getRef()), reports.getRef()))
                .runWith(Sink.queue(), KIT.system());
    }

    private void counted(long frame) {
        in.offer(new Assembled.Counted(scan, frame, (int) frame, true, new int[] {(int) frame}));
    }

    private static void accept(WorkerProtocol.Count count, TestProbe<WorkerProtocol.Command> as) {
        count.replyTo().tell(new WorkerProtocol.Accepted(count.scanNumber(), count.frameNumber(), as.getRef()));
    }

    private Assembled next(CompletionStage<Optional<Assembled>> pulled) throws Exception {
        return pulled.toCompletableFuture().get(5, TimeUnit.SECONDS).orElseThrow();
    }

    @Test
    void framesLeaveInOrderOnceAcceptedAndTheEndMarkFlushesOnlyAfterThem() throws Exception {
        run();
        counted(2); // partition 0
        counted(3); // partition 1
        in.offer(new Assembled.InputEnded(scan));
        WorkerProtocol.Count two = sharding0.expectMessageClass(WorkerProtocol.Count.class, WAIT);
        WorkerProtocol.Count three = sharding1.expectMessageClass(WorkerProtocol.Count.class, WAIT);
        CompletionStage<Optional<Assembled>> first = out.pull();

        accept(three, sharding1); // the later frame first: nothing leaves before frame 2
        sharding0.expectNoMessage(Duration.ofMillis(200));
        assertFalse(first.toCompletableFuture().isDone());

        accept(two, worker0); // frame 2's worker names itself: partition 0's next messages go to it
        assertEquals(2, ((Assembled.Counted) next(first)).frameNumber());
        assertEquals(3, ((Assembled.Counted) next(out.pull())).frameNumber());

        CompletionStage<Optional<Assembled>> end = out.pull();
        WorkerProtocol.Flush flush0 = worker0.expectMessageClass(WorkerProtocol.Flush.class, WAIT);
        WorkerProtocol.Flush flush1 = sharding1.expectMessageClass(WorkerProtocol.Flush.class, WAIT);
        flush0.replyTo().tell(new WorkerProtocol.Flushed(3, 0, 1));
        assertFalse(end.toCompletableFuture().isDone(), "partition 1 has not flushed yet");
        flush1.replyTo().tell(new WorkerProtocol.Flushed(3, 1, 1));
        assertInstanceOf(Assembled.InputEnded.class, next(end));
    }

    @Test
    void aFrameItsWorkerNeverAnswersGoesThroughShardingAgain() throws Exception {
        run();
        counted(4);
        sharding0.expectMessageClass(WorkerProtocol.Count.class, WAIT); // dropped by a moving shard, say
        WorkerProtocol.Count again = sharding0.expectMessageClass(WorkerProtocol.Count.class, Duration.ofSeconds(4));
        assertEquals(4, again.frameNumber());
        accept(again, sharding0);
        assertEquals(4, ((Assembled.Counted) next(out.pull())).frameNumber());
    }
}
