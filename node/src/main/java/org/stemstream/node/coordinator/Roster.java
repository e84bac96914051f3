package org.stemstream.node.coordinator;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.stemstream.node.nodehost.CountingWorker;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.cluster.WorkerProtocol;

/**
 * The counting nodes and the routing table over them, on the singleton side: it takes the nodes' heartbeats and
 * the cluster's membership events, deals the partitions over the nodes that count, publishes the table in
 * Distributed Data and, in the same step, places every partition's counting worker on the node the table sends its
 * frames to. It tells the coordinator when a node joins or is gone, so that the scans follow.
 */
final class Roster extends AbstractBehavior<CoordinatorProtocol.Command> {
    /** The routing table in Distributed Data. */
    static final Key<LWWRegister<RoutingTable>> ROUTING = LWWRegisterKey.create("stemstream-routing");

    private static final Duration TICK = Duration.ofMillis(200);
    private static final long NODE_SILENT_NANOS = Duration.ofSeconds(10).toNanos();
    private static final String SILENT = "stopped sending heartbeats";
    private static final String LEFT = "left";
    /**
     * A roster that takes over from another (the coordinator moved) publishes nothing before it has heard every live
     * node (a table made from the first heartbeat alone would move live nodes' partitions under frames already on
     * their way), and waits this long for a node new to the table (its switch point needs the running scans' pace).
     */
    private static final long TAKE_OVER_SETTLE_NANOS = Duration.ofSeconds(3).toNanos();

    /**
     * A scan's pace, for the switch point: the highest frame seen, the frame rate (0 before it is measured) and the
     * scan's last frame number.
     */
    record Pace(long scanNumber, long maxFrameSeen, double frameRate, long lastFrame, boolean running)
            implements CoordinatorProtocol.Command {
    }

    private record Tick() implements CoordinatorProtocol.Command {
    }

    private record MemberEvent(ClusterEvent.MemberEvent event) implements CoordinatorProtocol.Command {
    }

    private record ReachabilityEvent(ClusterEvent.ReachabilityEvent event) implements CoordinatorProtocol.Command {
    }

    /** From the coordinator: a scan is final, and every partition's worker may forget its accounts of it. */
    record ScanClosed(long scanNumber) implements CoordinatorProtocol.Command {
    }

    private record Published(Replicator.UpdateResponse<LWWRegister<RoutingTable>> response)
            implements CoordinatorProtocol.Command {
    }

    /** The table in this node's replica when the roster starts: the epoch to go on from. */
    private record LastTable(Replicator.GetResponse<LWWRegister<RoutingTable>> response)
            implements CoordinatorProtocol.Command {
    }

    private final ScanCoordinator.Settings settings;
    private final ActorRef<CoordinatorProtocol.Command> coordinator;
    private final Cluster cluster;
    private final NodeRoster nodes;
    private final PartitionTotals partitionTotals = new PartitionTotals();
    private final Map<Long, Pace> running = new HashMap<>();
    /** The members the failure detector says this node cannot reach, by address. */
    private final Set<String> unreachable = new HashSet<>();
    /** While taking over: when the first table may be published (0: settled). */
    private long settledAtNanos;
    private final ActorRef<Replicator.UpdateResponse<LWWRegister<RoutingTable>>> published;

    /** @param coordinator hears {@link ScanCoordinator.NodeJoined} and {@link ScanCoordinator.NodeGone} */
    static Behavior<CoordinatorProtocol.Command> create(ScanCoordinator.Settings settings,
                                                        ActorRef<CoordinatorProtocol.Command> coordinator) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(10_000, stash -> {
            timers.startTimerWithFixedDelay(new Tick(), TICK);
            DistributedData.get(context.getSystem()).replicator().tell(new Replicator.Get<>(ROUTING,
                    Replicator.readLocal(), context.messageAdapter(getResponse(), LastTable::new)));
            // Producers take only a table with a higher epoch: a roster that starts where another ran (the
            // coordinator moved to this node) goes on from the last table's epoch, so it waits for it first.
            return Behaviors.receive(CoordinatorProtocol.Command.class)
                    .onMessage(LastTable.class, last -> {
                        RoutingTable table = last.response()
                                instanceof Replicator.GetSuccess<LWWRegister<RoutingTable>> found
                                ? found.get(ROUTING).getValue() : null;
                        return stash.unstashAll(new Roster(context, settings, coordinator, table));
                    })
                    .onMessage(CoordinatorProtocol.Command.class, early -> {
                        stash.stash(early);
                        return Behaviors.same();
                    })
                    .build();
        })));
    }

    @SuppressWarnings("unchecked")
    private static Class<Replicator.GetResponse<LWWRegister<RoutingTable>>> getResponse() {
        return (Class<Replicator.GetResponse<LWWRegister<RoutingTable>>>) (Class<?>) Replicator.GetResponse.class;
    }

    @SuppressWarnings("unchecked")
    private Roster(ActorContext<CoordinatorProtocol.Command> context, ScanCoordinator.Settings settings,
                   ActorRef<CoordinatorProtocol.Command> coordinator, RoutingTable lastTable) {
        super(context);
        this.nodes = new NodeRoster(lastTable);
        this.settledAtNanos = lastTable == null ? 0 : System.nanoTime() + TAKE_OVER_SETTLE_NANOS;
        this.settings = settings;
        this.coordinator = coordinator;
        this.cluster = Cluster.get(context.getSystem());
        this.published = context.messageAdapter(
                (Class<Replicator.UpdateResponse<LWWRegister<RoutingTable>>>) (Class<?>) Replicator.UpdateResponse.class,
                Published::new);
        cluster.subscriptions().tell(Subscribe.create(context.messageAdapter(ClusterEvent.MemberEvent.class,
                MemberEvent::new), ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(context.messageAdapter(ClusterEvent.ReachabilityEvent.class,
                ReachabilityEvent::new), ClusterEvent.ReachabilityEvent.class));
        for (Member m : cluster.state().getMembers()) {
            if (m.status() == MemberStatus.up()) {
                nodes.memberUp(m.address().toString());
            }
        }
    }

    @Override
    public Receive<CoordinatorProtocol.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(CoordinatorProtocol.NodeUp.class, this::onNodeUp)
                .onMessage(CoordinatorProtocol.NodeLeaving.class, this::onNodeLeaving)
                .onMessage(CoordinatorProtocol.PartitionProgress.class, this::onPartitionProgress)
                .onMessage(Pace.class, this::onPace)
                .onMessage(MemberEvent.class, this::onMemberEvent)
                .onMessage(ReachabilityEvent.class, this::onReachabilityEvent)
                .onMessage(ScanClosed.class, this::onScanClosed)
                .onMessage(GatewayProtocol.GetMembers.class, this::onGetMembers)
                .onMessage(GatewayProtocol.GetPartitions.class, this::onGetPartitions)
                .onMessage(Tick.class, this::onTick)
                .onMessage(Published.class, published -> this)
                .build();
    }

    private Behavior<CoordinatorProtocol.Command> onNodeUp(CoordinatorProtocol.NodeUp up) {
        String address = up.ingress().node();
        if (nodes.get(address) == null && !admissible(address)) {
            // a node that left still sends heartbeats while it shuts down: taking one would route to it again and
            // open its scans anew (a member not yet up sends more)
            return this;
        }
        if (nodes.heartbeat(up)) {
            getContext().getLog().info("node {} counts at {}:{}", address, up.ingress().host(), up.ingress().port());
            reroute(joinPoint());
            coordinator.tell(new ScanCoordinator.NodeJoined(address, up.host()));
        }
        return this;
    }

    /**
     * Whether a node not in the roster may enter it: an up member may; a member in any other state, or a node that
     * left and is not up again (a new incarnation at its address), may not.
     */
    private boolean admissible(String address) {
        for (Member m : cluster.state().getMembers()) {
            if (m.address().toString().equals(address)) {
                return m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp();
            }
        }
        return !nodes.departed(address);
    }

    private Behavior<CoordinatorProtocol.Command> onNodeLeaving(CoordinatorProtocol.NodeLeaving leaving) {
        if (nodes.leaving(leaving.node())) {
            reroute(switchPoint());
        }
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> onPartitionProgress(CoordinatorProtocol.PartitionProgress p) {
        partitionTotals.record(p);
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> onPace(Pace pace) {
        if (pace.running()) {
            running.put(pace.scanNumber(), pace);
        } else {
            running.remove(pace.scanNumber());
            RoutingTable table = nodes.table();
            if (running.isEmpty() && table != null && table.effectiveFrom() > 0) {
                reroute(0); // the next scan's frames start low: the new owners take them from its first frame
            }
        }
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> onMemberEvent(MemberEvent message) {
        ClusterEvent.MemberEvent event = message.event();
        String address = event.member().address().toString();
        if (event instanceof ClusterEvent.MemberUp || event instanceof ClusterEvent.MemberWeaklyUp) {
            nodes.memberUp(address);
        } else if (event instanceof ClusterEvent.MemberRemoved) {
            unreachable.remove(address);
            nodeGone(address, "removed from the cluster");
        } else if (event instanceof ClusterEvent.MemberExited) {
            nodeGone(address, LEFT);
        }
        return this;
    }

    /**
     * A node this one cannot reach is routed around at once (its heartbeats would take 10 s to be called silent, and
     * the split brain resolver downs it only {@code stable-after} later), but only while this node reaches a
     * majority of the members: on the minority side of a cut, it is this node that will be downed.
     */
    private Behavior<CoordinatorProtocol.Command> onReachabilityEvent(ReachabilityEvent message) {
        String address = message.event().member().address().toString();
        if (message.event() instanceof ClusterEvent.UnreachableMember) {
            unreachable.add(address);
            int members = cluster.state().members().size();
            if (2 * (members - unreachable.size()) > members) {
                nodeGone(address, "is unreachable");
            }
        } else {
            unreachable.remove(address);
        }
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> onScanClosed(ScanClosed closed) {
        org.apache.pekko.actor.typed.ActorSystem<?> system = getContext().getSystem();
        for (int p = 0; p < settings.partitions(); p++) {
            CountingWorker.of(system, nodes.table(), p).tell(new WorkerProtocol.ScanClosed(closed.scanNumber()));
        }
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> onGetMembers(GatewayProtocol.GetMembers get) {
        Set<Member> unreachable = new HashSet<>();
        cluster.state().getUnreachable().forEach(unreachable::add);
        get.replyTo().tell(nodes.members(cluster.state().getMembers(), unreachable));
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> onGetPartitions(GatewayProtocol.GetPartitions get) {
        get.replyTo().tell(partitionTotals.view(nodes.table(), nodes.epoch()));
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> onTick(Tick tick) {
        if (settledAtNanos != 0 && (System.nanoTime() - settledAtNanos >= 0
                || nodes.onlyWentSinceTable() && LiveMembers.allHeard(cluster, nodes.all().keySet()))) {
            settledAtNanos = 0;
            if (!nodes.matchesTable()) {
                // nodes that went since the last table lose their partitions at once (their frames come again
                // whole); a node new to it takes part from the switch point
                reroute(nodes.onlyWentSinceTable() ? 0 : joinPoint(), nodes.wentSinceTable());
            }
        }
        nodes.silentFor(NODE_SILENT_NANOS).forEach(address -> nodeGone(address, SILENT));
        return this;
    }

    /** A node that stopped for good: route around it now, and tell the scans. */
    private void nodeGone(String address, String why) {
        if (address.equals(cluster.selfMember().address().toString()) || !nodes.remove(address)) {
            return; // this node itself is stopping: there is no one left to route to
        }
        boolean left = why.equals(LEFT);
        if (left) {
            getContext().getLog().info("node {} left: its partitions move now", address);
            reroute(0, Set.of());
        } else {
            // Its workers' shards cannot be handed off until it is removed (sharding waits for its region): its
            // partitions' workers start afresh, in their next generation, where the frames now go.
            getContext().getLog().warn("node {} {}: its partitions move now", address, why);
            reroute(0, Set.of(address));
        }
        coordinator.tell(new ScanCoordinator.NodeGone(address, why, left));
    }

    /**
     * The first frame a new table may apply to: beyond what the nodes have seen by as many frames as the detector
     * sends while the producers learn of the table (at the frame rate seen so far), and at least the minimum margin.
     */
    private long switchPoint() {
        if (running.isEmpty()) {
            return 0;
        }
        long seen = running.values().stream().mapToLong(Pace::maxFrameSeen).max().orElse(0);
        double rate = running.values().stream().mapToDouble(Pace::frameRate).max().orElse(0);
        return seen + Math.max(settings.switchMarginFrames(), (long) (rate * settings.switchDelay().toMillis() / 1000));
    }

    /**
     * The first frame a table that adds a node may apply to. While a running scan's frame rate is not yet measured,
     * the producers may be anywhere and fast: its frames stay where they go, and the node takes part from the next
     * scan on (or from the switch point of a later change).
     */
    private long joinPoint() {
        long from = switchPoint();
        for (Pace pace : running.values()) {
            if (pace.frameRate() <= 0) {
                from = Math.max(from, pace.lastFrame() + 1);
            }
        }
        return from;
    }

    /**
     * Publishes a new routing table over the nodes, applying from {@code effectiveFrom}, and places every
     * partition's counting worker on the node the table sends its frames to.
     */
    private void reroute(long effectiveFrom) {
        reroute(effectiveFrom, Set.of());
    }

    /** The same, when the nodes in {@code died} died: their partitions' workers start afresh. */
    private void reroute(long effectiveFrom, Set<String> died) {
        if (settledAtNanos != 0) {
            return; // taking over: the first table comes once the live nodes are known
        }
        RoutingTable next = nodes.nextTable(effectiveFrom, settings.partitions(), died);
        if (next == null) {
            return;
        }
        getContext().getLog().info("routing epoch {}: {} partitions over {} node(s), from frame {}", next.epoch(),
                settings.partitions(), next.endpoints().size(), effectiveFrom);
        DistributedData data = DistributedData.get(getContext().getSystem());
        data.replicator().tell(new Replicator.Update<>(ROUTING, LWWRegister.create(data.selfUniqueAddress(), next),
                new Replicator.WriteAll(Duration.ofSeconds(3)), published,
                register -> register.withValue(data.selfUniqueAddress(), next)));
        org.apache.pekko.actor.typed.ActorSystem<?> system = getContext().getSystem();
        CountingWorker.place(system, next).whenComplete((done, error) -> {
            if (error != null) {
                system.log().warn("counting workers of routing epoch {} not placed: {}",
                        next.epoch(), error.toString());
            }
        });
    }
}
