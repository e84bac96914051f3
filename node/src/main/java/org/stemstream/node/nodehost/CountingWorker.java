package org.stemstream.node.nodehost;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.stemstream.node.metrics.NodeMetrics;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.cluster.WorkerProtocol;

/**
 * The counting of one partition of frame numbers ({@code f mod P}): a sharded entity of type
 * {@code counting-worker}, one shard each, placed by external shard allocation on the node the routing table
 * sends the partition's frames to. Its id is the partition, and {@code partition.generation} once the partition's
 * node has died (see {@link RoutingTable#generations()}): a new generation starts on its new node at once. The node's stream counts the frames in place and hands the worker only their
 * sparse events; the worker owns the partition's accounts of each scan and carries its events to the scan's writer
 * (through the coordinator, so that they reach whichever coordinator runs the scan) in batches, at most
 * {@link #MAX_UNSTORED_BATCHES} unacknowledged. While it is out of credit it holds back its
 * replies to the stream, which is how a slow writer slows the stream: nothing blocks, nothing waits on itself.
 */
public final class CountingWorker extends AbstractBehavior<WorkerProtocol.Command> {
    public static final EntityTypeKey<WorkerProtocol.Command> TYPE_KEY =
            EntityTypeKey.create(WorkerProtocol.Command.class, "counting-worker");

    static final int MAX_UNSTORED_BATCHES = 8;
    /**
     * How often a partial batch goes to the writer: the producers free a frame's blocks (and send their ends of scan)
     * once it is stored, so this bounds how long the last frames of a scan wait.
     */
    private static final Duration TICK = Duration.ofMillis(50);
    /** Progress goes to the coordinator every fourth tick. */
    private static final int TICKS_PER_REPORT = 4;

    private record Tick() implements WorkerProtocol.Command {
    }

    private final int partition;
    private final String node;
    private final ActorRef<CoordinatorProtocol.Command> coordinator;
    /** Where the producers learn which frames are stored, so that they free the blocks they keep for them. */
    private final Acknowledgements acknowledgements;
    private final NodeMetrics metrics;
    private final Map<Long, PartitionScan> scans = new HashMap<>();
    private boolean handingOff;
    private long ticks;

    /**
     * Registers the entity type on this node. Shards go where {@link #place} says; a shard with no location yet
     * starts on the node that first sends it a message.
     */
    public static void initSharding(ActorSystem<?> system, ActorRef<CoordinatorProtocol.Command> coordinator,
                                    Acknowledgements acknowledgements) {
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY,
                        entity -> create(partitionOf(entity.getEntityId()), coordinator, acknowledgements))
                .withMessageExtractor(new PartitionExtractor())
                .withAllocationStrategy(ExternalShardAllocationStrategy.create(system, TYPE_KEY.name(),
                        Duration.ofSeconds(5)))
                .withStopMessage(new WorkerProtocol.HandOff()));
    }

    /** The worker of a partition in the generation the table gives it (the first, before there is a table). */
    public static EntityRef<WorkerProtocol.Command> of(ActorSystem<?> system, RoutingTable table, int partition) {
        int generation = table == null || table.partitions() <= partition ? 0 : table.generations()[partition];
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, entityId(partition, generation));
    }

    /** The worker's entity id (and shard id): the partition, and its generation after the first. */
    public static String entityId(int partition, int generation) {
        return generation == 0 ? Integer.toString(partition) : partition + "." + generation;
    }

    static int partitionOf(String entityId) {
        int dot = entityId.indexOf('.');
        return Integer.parseInt(dot < 0 ? entityId : entityId.substring(0, dot));
    }

    /**
     * Moves every partition's worker to the node the table sends its frames to (sharding rebalances them within its
     * rebalance interval; a new generation starts there).
     */
    public static CompletionStage<Done> place(ActorSystem<?> system, RoutingTable table) {
        Map<String, Address> byShard = new HashMap<>();
        for (int p = 0; p < table.partitions(); p++) {
            byShard.put(entityId(p, table.generations()[p]), AddressFromURIString.parse(table.nodeOf(p)));
        }
        return ExternalShardAllocation.get(system).getClient(TYPE_KEY.name()).setShardLocations(byShard);
    }

    /** One shard per worker, named as the worker, so that shard locations are worker locations. */
    static final class PartitionExtractor
            extends ShardingMessageExtractor<ShardingEnvelope<WorkerProtocol.Command>, WorkerProtocol.Command> {
        @Override
        public String entityId(ShardingEnvelope<WorkerProtocol.Command> envelope) {
            return envelope.entityId();
        }

        @Override
        public String shardId(String entityId) {
            return entityId;
        }

        @Override
        public WorkerProtocol.Command unwrapMessage(ShardingEnvelope<WorkerProtocol.Command> envelope) {
            return envelope.message();
        }
    }

    static Behavior<WorkerProtocol.Command> create(int partition, ActorRef<CoordinatorProtocol.Command> coordinator,
                                                   Acknowledgements acknowledgements) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Tick(), TICK);
            return new CountingWorker(context, partition, coordinator, acknowledgements);
        }));
    }

    private CountingWorker(ActorContext<WorkerProtocol.Command> context, int partition,
                           ActorRef<CoordinatorProtocol.Command> coordinator, Acknowledgements acknowledgements) {
        super(context);
        this.partition = partition;
        this.coordinator = coordinator;
        this.acknowledgements = acknowledgements;
        this.node = Cluster.get(context.getSystem()).selfMember().address().toString();
        this.metrics = NodeMetrics.get(context.getSystem());
    }

    @Override
    public Receive<WorkerProtocol.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(WorkerProtocol.Count.class, this::onCount)
                .onMessage(WorkerProtocol.FramesStored.class, this::onStored)
                .onMessage(WorkerProtocol.Flush.class, this::onFlush)
                .onMessage(Tick.class, this::onTick)
                .onMessage(WorkerProtocol.HandOff.class, this::onHandOff)
                .onMessage(WorkerProtocol.ScanClosed.class, this::onScanClosed)
                .build();
    }

    private Behavior<WorkerProtocol.Command> onCount(WorkerProtocol.Count count) {
        PartitionScan scan = scans.get(count.scanNumber());
        if (scan == null) {
            scan = new PartitionScan(count.scanNumber(), coordinator, getContext().getSelf(), metrics);
            scans.put(count.scanNumber(), scan);
        }
        if (scan.add(count)) {
            scan.sendFullBatches(MAX_UNSTORED_BATCHES);
        }
        if (scan.hasRoom(MAX_UNSTORED_BATCHES)) {
            scan.accept(count);
        } else {
            scan.holdReply(count);
        }
        return this;
    }

    private Behavior<WorkerProtocol.Command> onStored(WorkerProtocol.FramesStored stored) {
        PartitionScan scan = scans.get(stored.scanNumber());
        if (scan != null) {
            acknowledgements.stored(stored.scanNumber(), scan.stored(stored.batch()));
            scan.sendFullBatches(MAX_UNSTORED_BATCHES);
            if (scan.hasRoom(MAX_UNSTORED_BATCHES)) {
                scan.releaseReplies();
            }
            settleFlushes(scan);
        }
        return stoppedOnceHandedOff();
    }

    private Behavior<WorkerProtocol.Command> onFlush(WorkerProtocol.Flush flush) {
        PartitionScan scan = scans.get(flush.scanNumber());
        if (scan == null) {
            flush.replyTo().tell(new WorkerProtocol.Flushed(flush.scanNumber(), partition, 0));
            return this;
        }
        scan.flushWaiting(flush.replyTo());
        scan.sendPending(MAX_UNSTORED_BATCHES);
        settleFlushes(scan);
        report(scan);
        return this;
    }

    private Behavior<WorkerProtocol.Command> onTick(Tick tick) {
        boolean reporting = ++ticks % TICKS_PER_REPORT == 0;
        long now = System.nanoTime();
        for (PartitionScan scan : List.copyOf(scans.values())) {
            scan.resendOverdue(now);
            scan.sendPending(handingOff ? Integer.MAX_VALUE : MAX_UNSTORED_BATCHES);
            settleFlushes(scan);
            if (reporting && scan.changedSinceReport()) {
                report(scan);
            }
        }
        return stoppedOnceHandedOff();
    }

    private Behavior<WorkerProtocol.Command> onScanClosed(WorkerProtocol.ScanClosed closed) {
        PartitionScan scan = scans.remove(closed.scanNumber());
        if (scan != null) {
            scan.replyToFlushes(partition); // nothing more can be stored
            scan.releaseReplies();
        }
        return stoppedOnceHandedOff();
    }

    /** Sends everything held (credit no longer matters: nothing more comes here), stops once all is stored. */
    private Behavior<WorkerProtocol.Command> onHandOff(WorkerProtocol.HandOff handOff) {
        handingOff = true;
        scans.values().forEach(scan -> {
            scan.sendPending(Integer.MAX_VALUE);
            scan.releaseReplies();
            report(scan);
        });
        return stoppedOnceHandedOff();
    }

    private Behavior<WorkerProtocol.Command> stoppedOnceHandedOff() {
        if (handingOff && scans.values().stream().allMatch(PartitionScan::allStored)) {
            scans.values().forEach(this::settleFlushes);
            return Behaviors.stopped();
        }
        return this;
    }

    private void settleFlushes(PartitionScan scan) {
        if (scan.allStored()) {
            scan.replyToFlushes(partition);
        }
    }

    private void report(PartitionScan scan) {
        coordinator.tell(scan.progress(partition, node));
    }
}
