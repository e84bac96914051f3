package org.stemstream.node.coordinator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.ReplicaProtocol;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.cluster.ScanCheckpoint;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * The cluster's scan coordinator, a singleton. It only wires: the {@link Roster} (nodes, routing table, worker
 * placement) and one {@link ScanLifecycle} per scan are its children; it checks scan requests, starts scans, and
 * passes every message to the child it concerns (by scan number, or to the roster). Each scan's latest view goes to
 * the {@link ScanLedger}, so that a coordinator that takes over knows every scan that was started and goes on with
 * those still running.
 */
public final class ScanCoordinator extends AbstractBehavior<CoordinatorProtocol.Command> {
    /** The routing table in Distributed Data. */
    public static final Key<LWWRegister<RoutingTable>> ROUTING = Roster.ROUTING;

    /**
     * Settings the coordinator takes from the configuration.
     *
     * @param switchDelay        how long producers may take to learn of a new table (progress, publication, fetch)
     * @param switchMarginFrames the least margin between the frames seen and a new table's first frame
     */
    public record Settings(int partitions, Duration switchDelay, long switchMarginFrames, int calibrationFrames) {
    }

    /** From the roster: a node counts (its host actor). */
    record NodeJoined(String address, ActorRef<NodeProtocol.Command> host) implements CoordinatorProtocol.Command {
    }

    /** From the roster: a node stopped for good, and why; {@code left}: gracefully, its frames handed over. */
    record NodeGone(String address, String why, boolean left) implements CoordinatorProtocol.Command {
    }

    /** From a scan: how it looks now (for listing every scan), and what a successor needs to go on with it. */
    record ScanUpdated(ScanCheckpoint checkpoint) implements CoordinatorProtocol.Command {
    }

    private record ScanStopped(long scanNumber) implements CoordinatorProtocol.Command {
    }

    private final Settings settings;
    private final LocalListeners listeners;
    private final ActorRef<CoordinatorProtocol.Command> roster;
    private final Map<String, ActorRef<NodeProtocol.Command>> hosts = new HashMap<>();
    private final Map<Long, ActorRef<CoordinatorProtocol.Command>> scans = new LinkedHashMap<>();
    private final Map<Long, ScanView> views = new LinkedHashMap<>();
    /** Each scan's output file, to refuse a second scan writing the same one. */
    private final Map<Long, Path> outputs = new HashMap<>();
    private final ScanLedger ledger;
    /**
     * Each scan's last checkpoint written, and when: a new state or replica is written at once, progress once a
     * second (writing to a majority five times a second cost the nodes enough to delay sectors past the frame
     * timeout on a loaded machine).
     */
    private final Map<Long, ScanCheckpoint> checkpointed = new HashMap<>();
    private final Map<Long, Long> checkpointedNanos = new HashMap<>();
    private static final long CHECKPOINT_EVERY_NANOS = 1_000_000_000L;
    /** Scans whose coordinator went while they ran: nodes that still have them open are told to end them. */
    private final Set<Long> orphaned = new HashSet<>();

    /**
     * Starts once it has read the scan ledger (a coordinator that takes over learns the scans its predecessor ran, and
     * resumes those still running).
     *
     * @param listeners observers of counted frames in the JVM the coordinator runs in (the demo's)
     */
    public static Behavior<CoordinatorProtocol.Command> create(Settings settings, LocalListeners listeners) {
        return Behaviors.setup(context -> Behaviors.withStash(10_000, stash -> {
            ScanLedger.read(context);
            return Behaviors.receive(CoordinatorProtocol.Command.class)
                    .onMessage(ScanLedger.Read.class, read -> stash.unstashAll(
                            new ScanCoordinator(context, settings, listeners, read.checkpoints())))
                    .onMessage(CoordinatorProtocol.Command.class, early -> {
                        stash.stash(early);
                        return Behaviors.same();
                    })
                    .build();
        }));
    }

    private ScanCoordinator(ActorContext<CoordinatorProtocol.Command> context, Settings settings,
                            LocalListeners listeners, List<ScanCheckpoint> ledger) {
        super(context);
        this.settings = settings;
        this.listeners = listeners;
        this.ledger = new ScanLedger(context);
        this.roster = context.spawn(Roster.create(settings, context.getSelf()), "roster");
        ledger.stream().sorted(Comparator.comparingLong(c -> c.view().scanNumber())).forEach(this::takeOver);
    }

    /** A scan a coordinator before this one ran: known, and gone on with if it was running and can be. */
    private void takeOver(ScanCheckpoint checkpoint) {
        ScanView view = checkpoint.view();
        views.put(view.scanNumber(), view);
        if (view.state().isFinal()) {
            return;
        }
        String why = ScanLifecycle.whyNotResumable(checkpoint);
        if (why == null) {
            getContext().getLog().warn("scan {}: its coordinator went while it ran; going on with it here",
                    view.scanNumber());
            ScanRequest r = checkpoint.request();
            ActorRef<CoordinatorProtocol.Command> scan = getContext().spawn(ScanLifecycle.resume(checkpoint, hosts,
                    getContext().getSelf(), roster, listeners), "scan-" + r.scanNumber());
            getContext().watchWith(scan, new ScanStopped(r.scanNumber()));
            scans.put(r.scanNumber(), scan);
            outputs.put(r.scanNumber(), outputOf(r));
            return;
        }
        ScanView failed = ScanLedger.orphaned(view, why);
        if (checkpoint.replica() != null) {
            checkpoint.replica().tell(new ReplicaProtocol.Release(view.scanNumber()));
        }
        orphaned.add(view.scanNumber());
        views.put(view.scanNumber(), failed);
        ledger.record(ScanCheckpoint.finished(failed));
        getContext().getLog().warn(failed.line() + "; " + failed.message());
    }

    @Override
    public Receive<CoordinatorProtocol.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(GatewayProtocol.StartScan.class, this::onStart)
                .onMessage(GatewayProtocol.GetScan.class, get -> toScan(get.scanNumber(), get, get.replyTo()))
                .onMessage(GatewayProtocol.WhenFinished.class, when -> toScan(when.scanNumber(), when,
                        when.replyTo()))
                .onMessage(GatewayProtocol.CancelScan.class, cancel -> toScan(cancel.scanNumber(), cancel,
                        cancel.replyTo()))
                .onMessage(GatewayProtocol.GetPictures.class, get -> {
                    if (scans.containsKey(get.scanNumber())) {
                        return toScan(get.scanNumber(), get);
                    }
                    get.replyTo().tell(new GatewayProtocol.NoPictures("scan " + get.scanNumber() + " is not running"));
                    return this;
                })
                .onMessage(GatewayProtocol.ListScans.class, list -> {
                    list.replyTo().tell(new GatewayProtocol.ScanList(views.values().stream().toList()));
                    return this;
                })
                .onMessage(GatewayProtocol.GetMembers.class, this::toRoster)
                .onMessage(GatewayProtocol.GetPartitions.class, this::toRoster)
                .onMessage(CoordinatorProtocol.NodeUp.class, this::toRoster)
                .onMessage(CoordinatorProtocol.NodeLeaving.class, this::toRoster)
                .onMessage(CoordinatorProtocol.PartitionProgress.class, p -> {
                    roster.tell(p);
                    return toScan(p.scanNumber(), p);
                })
                .onMessage(CoordinatorProtocol.NodeProgress.class, p -> toScan(p.scanNumber(), p))
                .onMessage(CoordinatorProtocol.ThresholdSamples.class, s -> toScan(s.scanNumber(), s))
                .onMessage(CoordinatorProtocol.ScanOpened.class, o -> toScan(o.scanNumber(), o))
                .onMessage(NodeJoined.class, joined -> {
                    hosts.put(joined.address(), joined.host());
                    orphaned.forEach(n -> joined.host().tell(new NodeProtocol.EndScanInput(n, true)));
                    return toEveryScan(joined);
                })
                .onMessage(NodeGone.class, gone -> {
                    hosts.remove(gone.address());
                    return toEveryScan(gone);
                })
                .onMessage(ScanUpdated.class, this::onScanUpdated)
                .onMessage(WriterProtocol.Frames.class, this::onFrames)
                .onMessage(CoordinatorProtocol.ReplicaReady.class, r -> toScan(r.scanNumber(), r))
                .onMessage(CoordinatorProtocol.Restored.class, r -> toScan(r.scanNumber(), r))
                .onMessage(ScanStopped.class, stopped -> {
                    scans.remove(stopped.scanNumber());
                    if (views.remove(stopped.scanNumber()) != null) {
                        ledger.forget(stopped.scanNumber());
                    }
                    outputs.remove(stopped.scanNumber());
                    checkpointed.remove(stopped.scanNumber());
                    checkpointedNanos.remove(stopped.scanNumber());
                    return this;
                })
                .onMessage(CoordinatorProtocol.Command.class, other -> {
                    if (!ScanLedger.isWriteAnswer(other)) {
                        getContext().getLog().debug("scan coordinator: unexpected {}", other);
                    }
                    return this;
                })
                .build();
    }

    private Behavior<CoordinatorProtocol.Command> onScanUpdated(ScanUpdated updated) {
        ScanView view = updated.checkpoint().view();
        ScanView before = views.put(view.scanNumber(), view);
        if (isDue(updated.checkpoint())) {
            ledger.record(updated.checkpoint());
        }
        if (view.state().isFinal() && (before == null || !before.state().isFinal())) {
            roster.tell(new Roster.ScanClosed(view.scanNumber())); // the workers' accounts of the scan are final
        }
        return this;
    }

    private boolean isDue(ScanCheckpoint checkpoint) {
        long scan = checkpoint.view().scanNumber();
        long now = System.nanoTime();
        ScanCheckpoint last = checkpointed.get(scan);
        boolean due = last == null || last.view().state() != checkpoint.view().state()
                || !java.util.Objects.equals(last.replica(), checkpoint.replica())
                || !sampledFrames(last).equals(sampledFrames(checkpoint))
                || now - checkpointedNanos.get(scan) >= CHECKPOINT_EVERY_NANOS;
        if (due) {
            checkpointed.put(scan, checkpoint);
            checkpointedNanos.put(scan, now);
        }
        return due;
    }

    private static List<Long> sampledFrames(ScanCheckpoint checkpoint) {
        return checkpoint.samples().stream().map(sample -> sample.frames()[0]).toList();
    }

    /** Counted frames go to their scan's writer; those of a scan that no longer runs are acknowledged and closed. */
    private Behavior<CoordinatorProtocol.Command> onFrames(WriterProtocol.Frames frames) {
        ActorRef<CoordinatorProtocol.Command> scan = scans.get(frames.scanNumber());
        if (scan != null) {
            scan.tell(frames);
        } else {
            ScanLifecycle.closeForWorker(frames);
        }
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> onStart(GatewayProtocol.StartScan start) {
        ScanRequest r = start.request();
        String problem = problem(r);
        if (problem != null) {
            start.replyTo().tell(new GatewayProtocol.ScanRefused(problem));
            return this;
        }
        ActorRef<CoordinatorProtocol.Command> scan = getContext().spawn(ScanLifecycle.create(r, start.replyTo(),
                hosts, getContext().getSelf(), roster, listeners), "scan-" + r.scanNumber());
        getContext().watchWith(scan, new ScanStopped(r.scanNumber()));
        scans.put(r.scanNumber(), scan);
        outputs.put(r.scanNumber(), outputOf(r));
        return this;
    }

    private String problem(ScanRequest r) {
        ScanView existing = views.get(r.scanNumber());
        if (scans.containsKey(r.scanNumber()) || existing != null) {
            return "scan " + r.scanNumber() + " is already " + (existing != null && existing.state().isFinal()
                    ? "finished (" + existing.state().name().toLowerCase() + ")" : "running")
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
        if (hosts.isEmpty()) {
            return "no node is up to count (the cluster has no counting members yet)";
        }
        Path output;
        try {
            output = outputOf(r);
        } catch (RuntimeException e) {
            return "the output " + r.output() + " is not a path: " + e.getMessage();
        }
        for (Map.Entry<Long, Path> other : outputs.entrySet()) {
            ScanView view = views.get(other.getKey());
            if (other.getValue().equals(output) && (view == null || !view.state().isFinal())) {
                return "scan " + other.getKey() + " is writing " + other.getValue()
                        + "; two scans never share an output file";
            }
        }
        return null;
    }

    private static Path outputOf(ScanRequest r) {
        return Path.of(r.output()).toAbsolutePath().normalize();
    }

    private Behavior<CoordinatorProtocol.Command> toRoster(CoordinatorProtocol.Command command) {
        roster.tell(command);
        return this;
    }

    private Behavior<CoordinatorProtocol.Command> toScan(long scanNumber, CoordinatorProtocol.Command command) {
        ActorRef<CoordinatorProtocol.Command> scan = scans.get(scanNumber);
        if (scan != null) {
            scan.tell(command);
        }
        return this;
    }

    /** Passes a request on to its scan, or answers that the cluster knows no such scan. */
    private Behavior<CoordinatorProtocol.Command> toScan(long scanNumber, CoordinatorProtocol.Command command,
                                                         ActorRef<GatewayProtocol.ScanReply> replyTo) {
        if (!scans.containsKey(scanNumber)) {
            ScanView ended = views.get(scanNumber); // a scan a coordinator before this one ran
            replyTo.tell(ended != null ? new GatewayProtocol.ScanFound(ended)
                    : new GatewayProtocol.ScanRefused("no scan " + scanNumber + " is known to the cluster"));
            return this;
        }
        return toScan(scanNumber, command);
    }

    private Behavior<CoordinatorProtocol.Command> toEveryScan(CoordinatorProtocol.Command command) {
        scans.values().forEach(scan -> scan.tell(command));
        return this;
    }
}
