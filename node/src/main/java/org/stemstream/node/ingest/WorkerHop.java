package org.stemstream.node.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.stemstream.protocol.cluster.WorkerProtocol;

/**
 * The stream's hop to the counting workers: each counted frame goes to its partition's worker ({@code f mod P}),
 * and the next is taken only as workers accept (their replies are the backpressure). A scan's end mark waits until
 * every worker this node fed for the scan has its frames stored. Used from one stream stage, on its thread.
 */
public final class WorkerHop {
    /**
     * Sharding drops the few messages that reach a shard while it moves (to keep order), so a request unanswered
     * this long is sent again; workers and the writer take a frame once, however often it comes.
     */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(2);
    /** A worker out of credit holds its reply while the writer catches up: this long, then the scan fails here. */
    private static final long GIVE_UP_NANOS = Duration.ofSeconds(60).toNanos();

    private final int partitions;
    private final IntFunction<EntityRef<WorkerProtocol.Command>> workers;
    private final ActorRef<IngestReport> reports;
    /** Per scan, the partitions whose workers got frames from this node. */
    private final Map<Long, BitSet> fed = new HashMap<>();

    public WorkerHop(int partitions, IntFunction<EntityRef<WorkerProtocol.Command>> workers,
                     ActorRef<IngestReport> reports) {
        this.partitions = partitions;
        this.workers = workers;
        this.reports = reports;
    }

    public CompletionStage<Assembled> hand(Assembled element) {
        if (element instanceof Assembled.Counted counted && counted.events() != null) {
            return count(counted);
        }
        if (element instanceof Assembled.InputEnded ended) {
            return flush(ended);
        }
        return CompletableFuture.completedFuture(element);
    }

    private CompletionStage<Assembled> count(Assembled.Counted c) {
        int partition = (int) Math.floorMod(c.frameNumber(), (long) partitions);
        fed.computeIfAbsent(c.scan().scanNumber(), s -> new BitSet(partitions)).set(partition);
        return this.<WorkerProtocol.Accepted>ask(partition, reply -> new WorkerProtocol.Count(
                        c.scan().scanNumber(), c.scan().writer(), c.frameNumber(), c.position(), c.complete(),
                        c.events(), reply), System.nanoTime() + GIVE_UP_NANOS)
                .handle((accepted, error) -> {
                    if (error != null) {
                        reports.tell(new IngestReport.Failed(c.scan().scanNumber(), "partition " + partition
                                + "'s counting worker did not take frame " + c.frameNumber() + ": " + error));
                    }
                    return c;
                });
    }

    private CompletionStage<Assembled> flush(Assembled.InputEnded ended) {
        BitSet partitionsFed = fed.remove(ended.scan().scanNumber());
        List<CompletableFuture<WorkerProtocol.Flushed>> flushes = new ArrayList<>();
        if (partitionsFed != null) {
            long giveUp = System.nanoTime() + GIVE_UP_NANOS;
            partitionsFed.stream().forEach(p -> flushes.add(this.<WorkerProtocol.Flushed>ask(p,
                    reply -> new WorkerProtocol.Flush(ended.scan().scanNumber(), reply), giveUp)
                    .toCompletableFuture()));
        }
        return CompletableFuture.allOf(flushes.toArray(CompletableFuture[]::new)).handle((done, error) -> {
            if (error != null) {
                reports.tell(new IngestReport.Failed(ended.scan().scanNumber(),
                        "sending counted frames to the writer failed: " + error));
            }
            return ended;
        });
    }

    /** Asks the partition's worker, again after each unanswered {@link #RETRY_AFTER}, until {@code giveUpAt}. */
    private <R> CompletionStage<R> ask(int partition, Function<ActorRef<R>, WorkerProtocol.Command> request,
                                       long giveUpAt) {
        return workers.apply(partition).<R>ask(request::apply, RETRY_AFTER)
                .handle((reply, error) -> error == null || System.nanoTime() > giveUpAt
                        ? (error == null ? CompletableFuture.completedStage(reply)
                                : CompletableFuture.<R>failedStage(error))
                        : ask(partition, request, giveUpAt))
                .thenCompose(next -> next);
    }
}
