package org.stemstream.node.coordinator;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
import org.stemstream.kernel.ThresholdCalculator;
import org.stemstream.node.nodehost.CountingWorker;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.SampleStatistics;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * The cluster's scan coordinator, a singleton: it owns the routing table (partitions of frames to nodes, published in
 * Distributed Data), and each scan's lifecycle Calibrating -> Streaming -> Finalizing -> Done | Failed | Cancelled.
 *
 * <p>A scan starts by opening its file at the scan's writer (a child of the coordinator) and then the scan on every
 * node. Nodes report progress, samples for the thresholds (the coordinator merges them and decides), and the end of
 * their input; when every node that takes part has ended and its frames are stored, the writer commits the file. A
 * node that dies takes its uncounted frames with it: they end as missing, by slot, in the file and the status. The
 * nodes and the routing table are kept in a {@link NodeRoster}, each scan's facts in a {@link ScanRecord}.
 */
public final class ScanCoordinator extends AbstractMatchingBehavior<CoordinatorProtocol.Command> {
    /** The routing table in Distributed Data. */
    public static final Key<LWWRegister<RoutingTable>> ROUTING = LWWRegisterKey.create("stemstream-routing");

    private static final Duration TICK = Duration.ofMillis(200);
    private static final long NODE_SILENT_NANOS = Duration.ofSeconds(10).toNanos();
    private static final long SAMPLE_GRACE_NANOS = Duration.ofSeconds(1).toNanos();
    private static final long STRAGGLER_IDLE_MILLIS = 2_000;

    /**
     * Settings the coordinator takes from the configuration.
     *
     * @param switchDelay        how long producers may take to learn of a new table (progress, publication, fetch)
     * @param switchMarginFrames the least margin between the frames seen and a new table's first frame
     */
    public record Settings(int partitions, Duration switchDelay, long switchMarginFrames, int calibrationFrames) {
    }

    private record Tick() implements CoordinatorProtocol.Command {
    }

    private record MemberEvent(ClusterEvent.MemberEvent event) implements CoordinatorProtocol.Command {
    }

    private record Published(Replicator.UpdateResponse<LWWRegister<RoutingTable>> response)
            implements CoordinatorProtocol.Command {
    }

    private final Settings settings;
    private final LocalListeners listeners;
    private final Cluster cluster;
    private final NodeRoster roster = new NodeRoster();
    private final PartitionTotals partitionTotals = new PartitionTotals();
    private final Map<Long, ScanRecord> scans = new LinkedHashMap<>();
    private final ActorRef<Replicator.UpdateResponse<LWWRegister<RoutingTable>>> published;

    /** @param listeners observers of counted frames in the JVM the coordinator runs in (the demo's) */
    public static Behavior<CoordinatorProtocol.Command> create(Settings settings, LocalListeners listeners) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Tick(), TICK);
            return new ScanCoordinator(context, settings, listeners);
        }));
    }

    private ScanCoordinator(ActorContext<CoordinatorProtocol.Command> context, Settings settings,
                            LocalListeners listeners) {
        super(context);
        this.settings = settings;
        this.listeners = listeners;
        this.cluster = Cluster.get(context.getSystem());
        this.published = context.messageAdapter(
                (Class<Replicator.UpdateResponse<LWWRegister<RoutingTable>>>) (Class<?>) Replicator.UpdateResponse.class,
                Published::new);
        cluster.subscriptions().tell(Subscribe.create(context.messageAdapter(ClusterEvent.MemberEvent.class,
                MemberEvent::new), ClusterEvent.MemberEvent.class));
        for (Member m : cluster.state().getMembers()) {
            if (m.status() == MemberStatus.up()) {
                roster.memberUp(m.address().toString());
            }
        }
    }

    @Override
    public Behavior<CoordinatorProtocol.Command> onMessage(CoordinatorProtocol.Command command) {
        if (command instanceof CoordinatorProtocol.NodeUp up) {
            nodeUp(up);
        } else if (command instanceof CoordinatorProtocol.NodeProgress p) {
            progress(p);
        } else if (command instanceof CoordinatorProtocol.PartitionProgress p) {
            ScanRecord scan = scans.get(p.scanNumber());
            if (scan != null && !scan.state.isFinal()) {
                scan.record(p);
            }
            partitionTotals.record(p);
        } else if (command instanceof CoordinatorProtocol.ThresholdSamples s) {
            samples(s);
        } else if (command instanceof CoordinatorProtocol.FileOpened opened) {
            fileOpened(opened);
        } else if (command instanceof CoordinatorProtocol.FileClosed closed) {
            fileClosed(closed);
        } else if (command instanceof CoordinatorProtocol.ScanOpened opened) {
            ScanRecord scan = scans.get(opened.scanNumber());
            if (scan != null) {
                scan.opened.add(opened.node());
                replyOnceOpen(scan);
            }
        } else if (command instanceof CoordinatorProtocol.NodeLeaving leaving) {
            if (roster.leaving(leaving.node())) {
                reroute(switchPoint());
            }
        } else if (command instanceof GatewayProtocol.StartScan start) {
            start(start);
        } else if (command instanceof GatewayProtocol.GetScan get) {
            ScanRecord scan = scans.get(get.scanNumber());
            get.replyTo().tell(scan == null ? unknown(get.scanNumber()) : new GatewayProtocol.ScanFound(scan.view()));
        } else if (command instanceof GatewayProtocol.WhenFinished when) {
            ScanRecord scan = scans.get(when.scanNumber());
            if (scan == null) {
                when.replyTo().tell(unknown(when.scanNumber()));
            } else if (scan.state.isFinal()) {
                when.replyTo().tell(new GatewayProtocol.ScanFound(scan.view()));
            } else {
                scan.waiting.add(when.replyTo());
            }
        } else if (command instanceof GatewayProtocol.CancelScan cancel) {
            ScanRecord scan = scans.get(cancel.scanNumber());
            if (scan != null && !scan.state.isFinal()) {
                scan.cancelled = true;
                endInputs(scan, "cancelled", true);
            }
            cancel.replyTo().tell(scan == null ? unknown(cancel.scanNumber()) : new GatewayProtocol.ScanFound(scan.view()));
        } else if (command instanceof GatewayProtocol.ListScans list) {
            list.replyTo().tell(new GatewayProtocol.ScanList(scans.values().stream().map(ScanRecord::view).toList()));
        } else if (command instanceof GatewayProtocol.GetMembers request) {
            request.replyTo().tell(members());
        } else if (command instanceof GatewayProtocol.GetPartitions request) {
            request.replyTo().tell(partitionTotals.view(roster.table(), roster.epoch()));
        } else if (command instanceof MemberEvent event) {
            memberEvent(event.event());
        } else if (command instanceof Tick) {
            tick();
        }
        return this;
    }

    // ---- nodes and routing --------------------------------------------------------------------------------------

    private void nodeUp(CoordinatorProtocol.NodeUp up) {
        String address = up.ingress().node();
        if (roster.heartbeat(up)) {
            getContext().getLog().info("node {} counts at {}:{}", address, up.ingress().host(), up.ingress().port());
            NodeRoster.Node node = roster.get(address);
            reroute(switchPoint());
            for (ScanRecord scan : scans.values()) {
                if (!scan.state.isFinal() && !scan.closing && !scan.cancelled && scan.starter == null) {
                    openOn(scan, address, node);
                }
            }
        }
    }

    private void memberEvent(ClusterEvent.MemberEvent event) {
        String address = event.member().address().toString();
        if (event instanceof ClusterEvent.MemberUp) {
            roster.memberUp(address);
        } else if (event instanceof ClusterEvent.MemberRemoved || event instanceof ClusterEvent.MemberExited) {
            nodeGone(address, event instanceof ClusterEvent.MemberRemoved ? "removed from the cluster" : "left");
        }
    }

    /** A node that stopped for good: route around it now, and close its part in every scan. */
    private void nodeGone(String address, String why) {
        if (address.equals(cluster.selfMember().address().toString()) || !roster.remove(address)) {
            return; // this node itself is stopping: there is no one left to route to
        }
        if (why.equals("left")) {
            getContext().getLog().info("node {} left: its partitions move now", address);
        } else {
            getContext().getLog().warn("node {} {}: its partitions move now", address, why);
        }
        reroute(0);
        for (ScanRecord scan : scans.values()) {
            if (scan.participants.remove(address) && !scan.ended.contains(address)) {
                CoordinatorProtocol.NodeProgress last = scan.progress.get(address);
                scan.message = "node " + address + " " + why + " during the scan"
                        + (last == null ? "" : " after assembling " + last.framesAssembled() + " frames there")
                        + "; its frames not yet stored are missing";
                replyOnceOpen(scan);
                checkEnd(scan);
            }
        }
    }

    /**
     * The first frame a new table may apply to: beyond what the nodes have seen by as many frames as the detector
     * sends while the producers learn of the table (at the frame rate seen so far), and at least the minimum margin.
     */
    private long switchPoint() {
        long seen = 0;
        double rate = 0;
        boolean streaming = false;
        for (ScanRecord scan : scans.values()) {
            if (!scan.state.isFinal()) {
                streaming = true;
                seen = Math.max(seen, scan.maxFrameSeen);
                rate = Math.max(rate, scan.frameRate);
            }
        }
        long margin = Math.max(settings.switchMarginFrames(), (long) (rate * settings.switchDelay().toMillis() / 1000));
        return streaming ? seen + margin : 0;
    }

    /** Publishes a new routing table over the nodes, applying from {@code effectiveFrom}. */
    private void reroute(long effectiveFrom) {
        RoutingTable next = roster.nextTable(effectiveFrom, settings.partitions());
        if (next == null) {
            return;
        }
        getContext().getLog().info("routing epoch {}: {} partitions over {} node(s), from frame {}", next.epoch(),
                settings.partitions(), next.endpoints().size(), effectiveFrom);
        DistributedData data = DistributedData.get(getContext().getSystem());
        data.replicator().tell(new Replicator.Update<>(ROUTING, LWWRegister.create(data.selfUniqueAddress(), next),
                new Replicator.WriteAll(Duration.ofSeconds(3)), published,
                register -> register.withValue(data.selfUniqueAddress(), next)));
        // the same step places every partition's counting worker on the node the table sends its frames to
        Map<Integer, Address> locations = new HashMap<>();
        for (int p = 0; p < next.partitions(); p++) {
            locations.put(p, AddressFromURIString.parse(next.endpoints().get(next.owners()[p]).node()));
        }
        CountingWorker.place(getContext().getSystem(), locations).whenComplete((done, error) -> {
            if (error != null) {
                getContext().getSystem().log().warn("counting workers of routing epoch {} not placed: {}",
                        next.epoch(), error.toString());
            }
        });
    }

    // ---- scans --------------------------------------------------------------------------------------------------

    private static GatewayProtocol.ScanRefused unknown(long scanNumber) {
        return new GatewayProtocol.ScanRefused("no scan " + scanNumber + " is known to the cluster");
    }

    private void start(GatewayProtocol.StartScan start) {
        ScanRequest r = start.request();
        String problem = problem(r);
        if (problem != null) {
            start.replyTo().tell(new GatewayProtocol.ScanRefused(problem));
            return;
        }
        ScanRecord scan = new ScanRecord(r, getContext().spawn(ScanWriter.create(r.scanNumber(), listeners),
                "writer-" + r.scanNumber(), DispatcherSelector.blocking()));
        scan.starter = start.replyTo();
        scans.put(r.scanNumber(), scan);
        scan.writer.tell(new WriterProtocol.OpenFile(r, getContext().getSelf()));
    }

    private String problem(ScanRequest r) {
        ScanRecord existing = scans.get(r.scanNumber());
        if (existing != null) {
            return "scan " + r.scanNumber() + " is already " + (existing.state.isFinal()
                    ? "finished (" + existing.state.name().toLowerCase() + ")" : "running")
                    + "; scan numbers are used once";
        }
        if (r.scanNumber() < 0 || r.scanNumber() > 0xFFFF_FFFFL) {
            return "scan number " + r.scanNumber() + " is not an unsigned 32-bit value";
        }
        if (r.scanWidth() < 1 || r.scanHeight() < 1 || r.scanWidth() > 0xFFFF || r.scanHeight() > 0xFFFF) {
            return "scan size " + r.scanWidth() + "x" + r.scanHeight() + " is outside 1x1 .. 65535x65535";
        }
        if (r.framesPerPosition() < 1 || (long) r.scanWidth() * r.scanHeight() * r.framesPerPosition()
                > Integer.MAX_VALUE) {
            return "frames per position must be at least 1 and the scan at most " + Integer.MAX_VALUE + " frames";
        }
        if (!r.thresholdsGiven() && (r.thresholdFrames() < 1 || r.thresholdFrames() > settings.calibrationFrames())) {
            return "--threshold-frames must be from 1 to " + settings.calibrationFrames()
                    + " (the frames a node holds while thresholds are computed)";
        }
        if (r.thresholdsGiven() && !(r.backgroundThreshold() < r.xrayThreshold())) {
            return "the background threshold " + r.backgroundThreshold() + " must be below the x-ray threshold "
                    + r.xrayThreshold();
        }
        if (r.idleTimeoutMillis() <= 0) {
            return "the timeout must be positive";
        }
        if (roster.isEmpty()) {
            return "no node is up to count (the cluster has no counting members yet)";
        }
        return null;
    }

    private void fileOpened(CoordinatorProtocol.FileOpened opened) {
        ScanRecord scan = scans.get(opened.scanNumber());
        if (scan == null || scan.starter == null) {
            return;
        }
        if (!opened.failure().isEmpty()) {
            scans.remove(opened.scanNumber());
            scan.starter.tell(new GatewayProtocol.ScanRefused(opened.failure()));
            return;
        }
        roster.all().forEach((address, node) -> openOn(scan, address, node));
        scan.startedReply = scan.starter;
        scan.starter = null;
        replyOnceOpen(scan);
        getContext().getLog().info("scan {} started on {} node(s): {}x{} positions, output {}", scan.request.scanNumber(),
                scan.participants.size(), scan.request.scanWidth(), scan.request.scanHeight(), scan.request.output());
    }

    /** Answers the scan's starter once every node takes its blocks, or the scan ended before. */
    private void replyOnceOpen(ScanRecord scan) {
        if (scan.startedReply != null && (scan.opened.containsAll(scan.participants) || scan.closing
                || scan.state.isFinal())) {
            scan.startedReply.tell(new GatewayProtocol.ScanFound(scan.view()));
            scan.startedReply = null;
        }
    }

    private void openOn(ScanRecord scan, String address, NodeRoster.Node node) {
        if (scan.participants.add(address)) {
            node.host.tell(new NodeProtocol.OpenScan(scan.request, scan.writer));
            if (!Double.isNaN(scan.background)) {
                node.host.tell(new NodeProtocol.UseThresholds(scan.request.scanNumber(), scan.background, scan.xray));
            }
        }
    }

    private void progress(CoordinatorProtocol.NodeProgress p) {
        ScanRecord scan = scans.get(p.scanNumber());
        if (scan == null || scan.state.isFinal()) {
            return;
        }
        scan.record(p);
        if (!p.failure().isEmpty() && scan.failure == null) {
            scan.failure = "node " + p.node() + ": " + p.failure();
            endInputs(scan, scan.failure, false);
        }
        if (p.inputEnded()) {
            scan.ended.add(p.node());
            checkEnd(scan);
        }
    }

    private void samples(CoordinatorProtocol.ThresholdSamples s) {
        ScanRecord scan = scans.get(s.scanNumber());
        if (scan == null || !Double.isNaN(scan.background) || scan.failure != null) {
            return;
        }
        if (scan.firstSampleNanos == 0) {
            scan.firstSampleNanos = System.nanoTime();
        }
        scan.sampled.add(s.node());
        scan.samples.addAll(s.frames());
        decideThresholds(scan);
    }

    /** Decides once every node has sent its samples, or once enough frames are in and the others had a moment. */
    private void decideThresholds(ScanRecord scan) {
        int k = scan.request.thresholdFrames();
        boolean everyone = scan.sampled.containsAll(scan.participants);
        boolean enough = scan.samples.size() >= k && System.nanoTime() - scan.firstSampleNanos > SAMPLE_GRACE_NANOS;
        if (!everyone && !enough) {
            return;
        }
        if (scan.samples.isEmpty()) {
            scan.failure = "no complete frame arrived to compute thresholds from; give --background-threshold and"
                    + " --xray-threshold, or check the producers";
            endInputs(scan, scan.failure, false);
            return;
        }
        try {
            scan.statistics = ThresholdCalculator.compute(SampleStatistics.mergeAll(scan.lowestSamples(k)),
                    scan.request.thresholdSamples(), scan.request.backgroundSigma(), scan.request.xraySigma());
        } catch (IllegalArgumentException e) {
            scan.failure = "thresholds could not be computed: " + e.getMessage();
            endInputs(scan, scan.failure, false);
            return;
        }
        scan.background = scan.statistics.thresholds().background();
        scan.xray = scan.statistics.thresholds().xray();
        scan.state = ScanView.State.STREAMING;
        for (String address : scan.participants) {
            NodeRoster.Node node = roster.get(address);
            if (node != null) {
                node.host.tell(new NodeProtocol.UseThresholds(scan.request.scanNumber(), scan.background, scan.xray));
            }
        }
    }

    /** Asks every node of the scan to end its input (they report back when their frames are stored). */
    private void endInputs(ScanRecord scan, String why, boolean cancel) {
        if (scan.closing || scan.state.isFinal()) {
            return;
        }
        scan.closing = true;
        scan.state = ScanView.State.FINALIZING;
        scan.message = why;
        replyOnceOpen(scan);
        for (String address : scan.participants) {
            NodeRoster.Node node = roster.get(address);
            if (node != null && !scan.ended.contains(address)) {
                node.host.tell(new NodeProtocol.EndScanInput(scan.request.scanNumber(), cancel));
            }
        }
        checkEnd(scan);
    }

    /** Once every node of the scan has ended its input, commit (or drop) the file. */
    private void checkEnd(ScanRecord scan) {
        if (scan.state.isFinal() || scan.committing || !scan.ended.containsAll(scan.participants)
                || scan.starter != null) {
            return;
        }
        if (scan.state != ScanView.State.FINALIZING) {
            scan.state = ScanView.State.FINALIZING;
            scan.message = "every producer sent its end of scan";
        }
        scan.closing = true;
        if (scan.cancelled || scan.failure != null) {
            scan.writer.tell(new WriterProtocol.AbandonFile(scan.request.scanNumber()));
            finish(scan, scan.cancelled ? ScanView.State.CANCELLED : ScanView.State.FAILED);
            return;
        }
        scan.committing = true;
        scan.writer.tell(new WriterProtocol.CommitFile(scan.request.scanNumber(), scan.attributes(),
                getContext().getSelf()));
    }

    private void fileClosed(CoordinatorProtocol.FileClosed closed) {
        ScanRecord scan = scans.get(closed.scanNumber());
        if (scan == null || scan.state.isFinal()) {
            return;
        }
        scan.closed = closed;
        if (!closed.failure().isEmpty()) {
            scan.failure = closed.failure();
        }
        finish(scan, closed.failure().isEmpty() ? ScanView.State.DONE : ScanView.State.FAILED);
    }

    private void finish(ScanRecord scan, ScanView.State state) {
        scan.state = state;
        scan.finishedNanos = System.nanoTime();
        if (scan.failure != null) {
            scan.message = scan.failure;
        }
        ScanView view = scan.view();
        getContext().getLog().info(view.line() + (scan.message.isEmpty() ? "" : "; " + scan.message));
        scan.waiting.forEach(w -> w.tell(new GatewayProtocol.ScanFound(view)));
        scan.waiting.clear();
    }

    private void tick() {
        roster.silentFor(NODE_SILENT_NANOS).forEach(address -> nodeGone(address, "stopped sending heartbeats"));
        for (ScanRecord scan : scans.values()) {
            if (scan.state.isFinal() || scan.starter != null) {
                continue;
            }
            if (Double.isNaN(scan.background) && scan.failure == null && !scan.samples.isEmpty()) {
                decideThresholds(scan);
            }
            if (!scan.closing) {
                checkIdle(scan);
            }
        }
    }

    /** Ends a scan that no data reached for its timeout, and nodes that got nothing while the others finished. */
    private void checkIdle(ScanRecord scan) {
        long idle = Long.MAX_VALUE;
        boolean someEnded = !scan.ended.isEmpty();
        for (String address : scan.participants) {
            CoordinatorProtocol.NodeProgress p = scan.progress.get(address);
            long nodeIdle = p == null ? (System.nanoTime() - scan.startedNanos) / 1_000_000 : p.idleMillis();
            idle = Math.min(idle, nodeIdle);
            if (someEnded && !scan.ended.contains(address) && nodeIdle > STRAGGLER_IDLE_MILLIS) {
                NodeRoster.Node node = roster.get(address);
                if (node != null) {
                    node.host.tell(new NodeProtocol.EndScanInput(scan.request.scanNumber(), false));
                }
            }
        }
        if (idle > scan.request.idleTimeoutMillis()) {
            endInputs(scan, "ended after " + scan.request.idleTimeoutMillis() / 1000 + " s without data"
                    + (scan.endsMissing() ? " (not every producer sent its end of scan)" : ""), false);
        }
    }

    // ---- what the operator sees ---------------------------------------------------------------------------------

    private GatewayProtocol.Members members() {
        Set<Member> unreachable = new HashSet<>();
        cluster.state().getUnreachable().forEach(unreachable::add);
        return roster.members(cluster.state().getMembers(), unreachable);
    }
}
