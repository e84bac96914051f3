package org.stemstream.node.ingest;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.GraphStageLogic.StageActor;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.stemstream.protocol.cluster.WorkerProtocol;
import scala.Tuple2;
import scala.runtime.BoxedUnit;

/**
 * The stream's hop to the counting workers: each counted frame goes to its partition's worker ({@code f mod P}), and
 * elements leave in order once their worker has accepted them (the workers' replies are the backpressure). A scan's
 * end mark leaves once every worker this node fed for the scan has its frames stored.
 *
 * <p>A partition's first frame goes through sharding; the worker's reply names the worker, and the partition's next
 * frames go to it directly, which saves two mailboxes per frame. A request unanswered for two seconds goes
 * through sharding again: the worker may have moved, and sharding drops the few requests that reach a shard while it
 * moves (to keep order). Workers and the writer take a frame once, however often it comes.
 */
public final class WorkerHop extends GraphStage<FlowShape<Assembled, Assembled>> {
    /** Elements awaiting their workers: they hold only events (the sector buffers went back after counting). */
    private static final int IN_FLIGHT = 64;
    private static final Duration TICK = Duration.ofMillis(200);
    private static final long RETRY_AFTER_NANOS = Duration.ofSeconds(2).toNanos();
    /** A worker out of credit holds its reply while the writer catches up: this long, then the scan fails here. */
    private static final long GIVE_UP_NANOS = Duration.ofSeconds(60).toNanos();

    private final int partitions;
    private final IntFunction<EntityRef<WorkerProtocol.Command>> workers;
    private final ActorRef<IngestReport> reports;
    private final Inlet<Assembled> in = Inlet.create("worker-hop.in");
    private final Outlet<Assembled> out = Outlet.create("worker-hop.out");
    private final FlowShape<Assembled, Assembled> shape = FlowShape.of(in, out);

    public WorkerHop(int partitions, IntFunction<EntityRef<WorkerProtocol.Command>> workers,
                     ActorRef<IngestReport> reports) {
        this.partitions = partitions;
        this.workers = workers;
        this.reports = reports;
    }

    @Override
    public FlowShape<Assembled, Assembled> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new Logic();
    }

    /** An element on its way: done once its worker accepted it (or, an end mark, every fed worker flushed). */
    private static final class Pending {
        final Assembled element;
        final int partition;
        final long firstSentNanos = System.nanoTime();
        long sentNanos = firstSentNanos;
        /** For an end mark: the partitions whose workers have not flushed yet, and whether they were asked. */
        final Set<Integer> unflushed = new HashSet<>();
        boolean flushAsked;
        boolean done;

        Pending(Assembled element, int partition) {
            this.element = element;
            this.partition = partition;
        }
    }

    /** A counted frame, by scan and frame number. */
    private record FrameKey(long scan, long frame) {
    }

    private final class Logic extends TimerGraphStageLogic {
        private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
        private final Map<FrameKey, Pending> counting = new HashMap<>();
        private final Map<Long, Pending> flushing = new HashMap<>();
        /** Per scan, the partitions whose workers got frames from this node. */
        private final Map<Long, BitSet> fed = new HashMap<>();
        /** Each partition's worker as its last reply named it; null until then, or after a request went unanswered. */
        @SuppressWarnings("unchecked")
        private final ActorRef<WorkerProtocol.Command>[] direct = new ActorRef[partitions];
        private StageActor replies;
        private ActorRef<WorkerProtocol.Accepted> acceptedTo;
        private ActorRef<WorkerProtocol.Flushed> flushedTo;

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    send(grab(in));
                    pushDone();
                }
            });
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    pushDone();
                }
            });
        }

        @Override
        public void preStart() {
            replies = getStageActor(this::onReply);
            acceptedTo = Adapter.toTyped(replies.ref());
            flushedTo = Adapter.toTyped(replies.ref());
            scheduleWithFixedDelay("retry", TICK, TICK);
            pull(in);
        }

        private void send(Assembled element) {
            if (element instanceof Assembled.Counted c && c.events() != null) {
                int partition = (int) Math.floorMod(c.frameNumber(), (long) partitions);
                fed.computeIfAbsent(c.scan().scanNumber(), s -> new BitSet(partitions)).set(partition);
                Pending pending = new Pending(c, partition);
                counting.put(new FrameKey(c.scan().scanNumber(), c.frameNumber()), pending);
                inFlight.add(pending);
                count(pending);
            } else if (element instanceof Assembled.InputEnded ended) {
                Pending pending = new Pending(ended, -1);
                BitSet partitionsFed = fed.remove(ended.scan().scanNumber());
                if (partitionsFed != null) {
                    partitionsFed.stream().forEach(pending.unflushed::add);
                }
                inFlight.add(pending); // flushed once every frame before it is accepted: see pushDone
            } else {
                Pending pending = new Pending(element, -1);
                pending.done = true;
                inFlight.add(pending);
            }
        }

        private void askToFlush(Pending pending) {
            long scan = pending.element.scan().scanNumber();
            pending.flushAsked = true;
            pending.sentNanos = System.nanoTime();
            pending.done = pending.unflushed.isEmpty();
            if (!pending.done) {
                flushing.put(scan, pending);
                pending.unflushed.forEach(p -> to(p).tell(new WorkerProtocol.Flush(scan, flushedTo)));
            }
        }

        private void count(Pending pending) {
            Assembled.Counted c = (Assembled.Counted) pending.element;
            to(pending.partition).tell(new WorkerProtocol.Count(c.scan().scanNumber(), c.frameNumber(), c.position(), c.complete(), c.events(), acceptedTo));
        }

        private RecipientRef<WorkerProtocol.Command> to(int partition) {
            RecipientRef<WorkerProtocol.Command> worker = direct[partition];
            return worker != null ? worker : workers.apply(partition);
        }

        private BoxedUnit onReply(Tuple2<org.apache.pekko.actor.ActorRef, Object> message) {
            if (message._2() instanceof WorkerProtocol.Accepted accepted) {
                Pending pending = counting.remove(new FrameKey(accepted.scanNumber(), accepted.frameNumber()));
                if (pending != null) {
                    pending.done = true;
                    if (!accepted.worker().equals(direct[pending.partition])) {
                        direct[pending.partition] = accepted.worker();
                        replies.watch(Adapter.toClassic(accepted.worker()));
                    }
                }
            } else if (message._2() instanceof Terminated terminated) {
                workerStopped(terminated.actor());
            } else if (message._2() instanceof WorkerProtocol.Flushed flushed) {
                Pending pending = flushing.get(flushed.scanNumber());
                if (pending != null && pending.unflushed.remove(flushed.partition()) && pending.unflushed.isEmpty()) {
                    pending.done = true;
                    flushing.remove(flushed.scanNumber());
                }
            }
            pushDone();
            return BoxedUnit.UNIT;
        }

        /**
         * A worker stopped (its partition moves, or its node left): what was sent to it and not yet answered goes
         * through sharding again at once, to wherever the partition now lives.
         */
        private void workerStopped(org.apache.pekko.actor.ActorRef worker) {
            Set<Integer> moved = new HashSet<>();
            for (int p = 0; p < partitions; p++) {
                if (direct[p] != null && Adapter.toClassic(direct[p]).equals(worker)) {
                    direct[p] = null;
                    moved.add(p);
                }
            }
            for (Pending pending : inFlight) {
                if (!pending.done && moved.contains(pending.partition)) {
                    pending.sentNanos = System.nanoTime();
                    count(pending);
                }
            }
        }

        /** Requests unanswered too long go through sharding again; after the give-up time the scan fails here. */
        @Override
        public void onTimer(Object key) {
            long now = System.nanoTime();
            for (Pending pending : inFlight) {
                boolean waiting = pending.partition >= 0 || pending.flushAsked;
                if (pending.done || !waiting || now - pending.sentNanos < RETRY_AFTER_NANOS) {
                    continue;
                }
                long scan = pending.element.scan().scanNumber();
                if (now - pending.firstSentNanos > GIVE_UP_NANOS) {
                    pending.done = true;
                    if (pending.element instanceof Assembled.Counted c) {
                        counting.remove(new FrameKey(scan, c.frameNumber()));
                    } else {
                        flushing.remove(scan);
                    }
                    reports.tell(new IngestReport.Failed(scan, pending.partition >= 0
                            ? "partition " + pending.partition + "'s counting worker did not take frame "
                            + ((Assembled.Counted) pending.element).frameNumber() + " in 60 s"
                            : "the counting workers did not store this node's frames in 60 s"));
                    continue;
                }
                pending.sentNanos = now;
                if (pending.partition >= 0) {
                    direct[pending.partition] = null;
                    count(pending);
                } else {
                    pending.unflushed.forEach(p -> {
                        direct[p] = null;
                        workers.apply(p).tell(new WorkerProtocol.Flush(scan, flushedTo));
                    });
                }
            }
            pushDone();
        }

        /**
         * Pushes the elements at the head that are done, in order, and takes more while there is room. An end mark
         * at the head asks its workers to flush: every frame before it has been accepted, so the flush covers them.
         */
        private void pushDone() {
            while (!inFlight.isEmpty()) {
                Pending head = inFlight.peek();
                if (head.element instanceof Assembled.InputEnded && !head.flushAsked) {
                    askToFlush(head);
                }
                if (!head.done || !isAvailable(out)) {
                    break;
                }
                inFlight.poll();
                push(out, head.element);
            }
            if (inFlight.size() < IN_FLIGHT && !hasBeenPulled(in) && !isClosed(in)) {
                pull(in);
            }
        }
    }
}
