package org.stemstream.node.coordinator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.stemstream.node.metrics.NodeMetrics;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.ReplicaProtocol;
import org.stemstream.protocol.cluster.ScanCheckpoint;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.protocol.cluster.WorkerProtocol;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * One scan's lifecycle, a child of the coordinator, as switched behaviours:
 *
 * <pre>
 * opening (the writer opens the file) -> calibrating (thresholds from the nodes' samples) -> streaming
 *   -> finalizing (every node ends its input and its frames are stored) -> committing -> done | failed | cancelled
 * </pre>
 *
 * A scan with given thresholds skips calibrating. The scan's facts live in its {@link ScanRecord}; the writer is its
 * child, so a counting node that dies never takes the scan's file with it, and a replica of the writer's batches on
 * another node keeps them should the writer's own node die. Then the coordinator that takes over resumes the scan
 * from its checkpoint ({@link #resume}): a new writer, the replica's batches sent to it, and the producers sending
 * again what was not stored.
 */
final class ScanLifecycle {
    private static final Duration TICK = Duration.ofMillis(200);
    private static final long SAMPLE_GRACE_NANOS = Duration.ofSeconds(1).toNanos();
    private static final long STRAGGLER_IDLE_MILLIS = 2_000;
    /**
     * After a node is lost, its share of the data pauses until its partitions move (about 6 s after a kill) and the
     * producers send its frames again: the idle timeout counts only from this long after the loss.
     */
    private static final long NODE_LOSS_GRACE_NANOS = 20_000_000_000L;
    /** A resumed scan waits for every live node's heartbeat, at most this long, before it opens on them again. */
    private static final long HOSTS_SETTLE_NANOS = 2_000_000_000L;
    /** ... and at most this long for its replica's batches. */
    private static final long RESTORE_TIMEOUT_NANOS = 15_000_000_000L;

    private record Tick() implements CoordinatorProtocol.Command {
    }

    /** The scan's writer stopped: after its commit, or (a failure) before. */
    private record WriterStopped() implements CoordinatorProtocol.Command {
    }

    private final ActorContext<CoordinatorProtocol.Command> context;
    private final ScanRecord scan;
    private final ActorRef<CoordinatorProtocol.Command> coordinator;
    private final ActorRef<CoordinatorProtocol.Command> roster;
    /** The counting nodes' host actors, by address, as the roster announces them. */
    private final Map<String, ActorRef<NodeProtocol.Command>> hosts;
    private final List<ActorRef<GatewayProtocol.ScanReply>> waiting = new ArrayList<>();
    /** Who started the scan: answered once every node has it open, so the detector may start at once. */
    private ActorRef<GatewayProtocol.ScanReply> starter;
    private boolean cancelled;
    private final String self;

    /**
     * @param hosts     the counting nodes when the scan starts
     * @param listeners observers of counted frames in this JVM (the demo's)
     */
    static Behavior<CoordinatorProtocol.Command> create(ScanRequest request,
                                                        ActorRef<GatewayProtocol.ScanReply> starter,
                                                        Map<String, ActorRef<NodeProtocol.Command>> hosts,
                                                        ActorRef<CoordinatorProtocol.Command> coordinator,
                                                        ActorRef<CoordinatorProtocol.Command> roster,
                                                        LocalListeners listeners) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            context.setLoggerName(ScanLifecycle.class); // found from the stack, a resumed scan's would be Pekko's
            timers.startTimerWithFixedDelay(new Tick(), TICK);
            ScanLifecycle lifecycle = new ScanLifecycle(context, new ScanRecord(request,
                    spawnWriter(context, request, listeners)), starter, hosts, coordinator, roster);
            lifecycle.keepReplica();
            lifecycle.tickUpdate(); // kept in the ledger at once: a coordinator that takes over knows the scan
            return lifecycle.opening();
        }));
    }

    /**
     * Goes on with a scan whose coordinator went while it ran: a new writer opens the file again, the replica sends it
     * every batch acknowledged so far, and once the nodes are known again the scan opens on them and streams on; the
     * producers send again what was never acknowledged.
     */
    static Behavior<CoordinatorProtocol.Command> resume(ScanCheckpoint checkpoint,
                                                        Map<String, ActorRef<NodeProtocol.Command>> hosts,
                                                        ActorRef<CoordinatorProtocol.Command> coordinator,
                                                        ActorRef<CoordinatorProtocol.Command> roster,
                                                        LocalListeners listeners) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            context.setLoggerName(ScanLifecycle.class); // found from the stack, a resumed scan's would be Pekko's
            timers.startTimerWithFixedDelay(new Tick(), TICK);
            ScanRequest request = checkpoint.request();
            ScanLedger.removeTemporaryFiles(Path.of(request.output())); // the writer that went may have left one
            ScanRecord record = new ScanRecord(request, spawnWriter(context, request, listeners));
            record.resumeFrom(checkpoint);
            record.idleFromNanos = System.nanoTime() + NODE_LOSS_GRACE_NANOS;
            if (checkpoint.replica() != null) {
                checkpoint.replica().tell(new ReplicaProtocol.Restore(record.writer, context.getSelf()));
            }
            return new ScanLifecycle(context, record, null, hosts, coordinator, roster).resuming(checkpoint);
        }));
    }

    /** Why a scan whose coordinator went cannot go on, or null when it can. */
    static String whyNotResumable(ScanCheckpoint checkpoint) {
        return checkpoint.request() == null ? "its request was not kept" : null;
    }

    /** Counted frames of a scan that no longer runs: acknowledged (nothing will store them) and the worker told. */
    static void closeForWorker(WriterProtocol.Frames frames) {
        frames.storedTo().tell(new WorkerProtocol.FramesStored(frames.scanNumber(), frames.batch()));
        frames.storedTo().tell(new WorkerProtocol.ScanClosed(frames.scanNumber()));
    }

    private static ActorRef<WriterProtocol.Command> spawnWriter(ActorContext<CoordinatorProtocol.Command> context,
                                                                ScanRequest request, LocalListeners listeners) {
        ActorRef<WriterProtocol.Command> writer = context.spawn(
                ScanWriter.create(request.scanNumber(), listeners), "writer", DispatcherSelector.blocking());
        writer.tell(new WriterProtocol.OpenFile(request, context.getSelf()));
        context.watchWith(writer, new WriterStopped());
        return writer;
    }

    private ScanLifecycle(ActorContext<CoordinatorProtocol.Command> context, ScanRecord scan,
                          ActorRef<GatewayProtocol.ScanReply> starter, Map<String, ActorRef<NodeProtocol.Command>> hosts,
                          ActorRef<CoordinatorProtocol.Command> coordinator,
                          ActorRef<CoordinatorProtocol.Command> roster) {
        this.context = context;
        this.scan = scan;
        this.starter = starter;
        this.hosts = new HashMap<>(hosts);
        this.coordinator = coordinator;
        this.roster = roster;
        this.self = Cluster.get(context.getSystem()).selfMember().address().toString();
    }

    private long number() {
        return scan.request.scanNumber();
    }

    // ---- behaviours -------------------------------------------------------------------------------------------

    /** The writer is opening the file; nothing is open on the nodes yet. */
    private Behavior<CoordinatorProtocol.Command> opening() {
        return queries(Behaviors.receive(CoordinatorProtocol.Command.class))
                .onMessage(GatewayProtocol.GetPictures.class, this::noPictures)
                .onMessage(CoordinatorProtocol.FileOpened.class, this::onFileOpened)
                .onMessage(GatewayProtocol.CancelScan.class, cancel -> {
                    cancelled = true;
                    scan.message = "cancelled";
                    cancel.replyTo().tell(new GatewayProtocol.ScanFound(scan.view()));
                    return abandon();
                })
                .onMessage(WriterProtocol.Frames.class, this::toWriter)
                .onMessage(CoordinatorProtocol.ReplicaReady.class, this::onReplicaReady)
                .onMessage(ScanCoordinator.NodeJoined.class, this::rememberHost)
                .onMessage(ScanCoordinator.NodeGone.class, gone -> {
                    hosts.remove(gone.address());
                    replaceReplicaOn(gone.address());
                    return Behaviors.same();
                })
                .onMessage(Tick.class, tick -> tickUpdate())
                .build();
    }

    /**
     * Resumed: the new writer opens the file and takes the replica's batches, and the nodes' heartbeats come in; then
     * the scan opens again on every node whose input has not ended, and streams (or finalizes) on.
     */
    private Behavior<CoordinatorProtocol.Command> resuming(ScanCheckpoint checkpoint) {
        Resumption resumption = new Resumption(checkpoint);
        return queries(Behaviors.receive(CoordinatorProtocol.Command.class))
                .onMessage(GatewayProtocol.GetPictures.class, this::noPictures)
                .onMessage(GatewayProtocol.CancelScan.class, this::replyWithView)
                .onMessage(WriterProtocol.Frames.class, this::toWriter)
                .onMessage(CoordinatorProtocol.FileOpened.class, opened -> {
                    if (!opened.failure().isEmpty()) {
                        scan.failure = opened.failure();
                        return endInputs(scan.failure, false);
                    }
                    resumption.fileOpen = true;
                    return resumedOnceReady(resumption);
                })
                .onMessage(CoordinatorProtocol.Restored.class, restored -> {
                    resumption.restored = restored;
                    return resumedOnceReady(resumption);
                })
                .onMessage(CoordinatorProtocol.ReplicaReady.class, this::onReplicaReady)
                .onMessage(CoordinatorProtocol.NodeProgress.class, p -> {
                    scan.record(p);
                    roster.tell(new Roster.Pace(number(), scan.maxFrameSeen, scan.frameRate, scan.request.frames(),
                            true)); // the first table of a roster that took over switches beyond what was sent
                    if (p.inputEnded()) {
                        scan.ended.add(p.node());
                    }
                    return Behaviors.same();
                })
                .onMessage(CoordinatorProtocol.PartitionProgress.class, p -> {
                    scan.record(p);
                    return Behaviors.same();
                })
                .onMessage(ScanCoordinator.NodeJoined.class, this::rememberHost)
                .onMessage(ScanCoordinator.NodeGone.class, gone -> {
                    hosts.remove(gone.address());
                    return Behaviors.same();
                })
                .onMessage(Tick.class, tick -> {
                    tickUpdate();
                    return resumedOnceReady(resumption);
                })
                .build();
    }

    /** What a resuming scan waits for: its new writer's file, the replica's batches, the nodes' heartbeats. */
    private static final class Resumption {
        final ScanCheckpoint checkpoint;
        final long since = System.nanoTime();
        boolean fileOpen;
        /** What the replica sent back; null until it answers. */
        CoordinatorProtocol.Restored restored;

        Resumption(ScanCheckpoint checkpoint) {
            this.checkpoint = checkpoint;
        }

        /** The file is open, the live nodes were heard, and the replica's batches came (or will not). */
        boolean ready(boolean everyLiveNodeHeard) {
            long waited = System.nanoTime() - since;
            boolean restoreDone = restored != null || checkpoint.replica() == null || waited > RESTORE_TIMEOUT_NANOS;
            return fileOpen && (everyLiveNodeHeard || waited >= HOSTS_SETTLE_NANOS) && restoreDone;
        }
    }

    /** Streams (or finalizes) on once the resumption is ready. */
    private Behavior<CoordinatorProtocol.Command> resumedOnceReady(Resumption resumption) {
        if (!resumption.ready(LiveMembers.allHeard(Cluster.get(context.getSystem()), hosts.keySet()))) {
            return Behaviors.same();
        }
        ScanCheckpoint checkpoint = resumption.checkpoint;
        CoordinatorProtocol.Restored restored = resumption.restored;
        ActorRef<ReplicaProtocol.Command> old = checkpoint.replica();
        String from = old == null ? "none was kept: no frame had been acknowledged"
                : restored == null ? "the copy did not answer, so frames stored before may be missing"
                : restored.batches() + " stored batches came back from the copy on " + restored.node();
        scan.moved = "the scan's coordinator moved to " + self + " after its node went (" + from + ")";
        context.getLog().warn("scan {}: {}", number(), scan.moved);
        if (restored != null && !old.path().address().hasLocalScope()) {
            useReplica(old, old.path().address().toString());
        } else {
            if (old != null) { // on this node, beside the writer, or not answering: no use
                old.tell(new ReplicaProtocol.Release(number()));
            }
            keepReplica();
        }
        for (String address : hosts.keySet()) {
            if (!scan.ended.contains(address)) {
                openOn(address);
            }
        }
        scan.progress.keySet().stream().filter(node -> !hosts.containsKey(node) && !scan.ended.contains(node))
                .forEach(scan.lost::add);
        if (checkpoint.view().state() == ScanView.State.FINALIZING) {
            return endInputs(checkpoint.view().message(), false);
        }
        if (scan.participants.isEmpty() && !scan.ended.isEmpty()) {
            return checkEnd(); // every node ended its input before or while the coordinator moved: nothing will come
        }
        if (Double.isNaN(scan.background)) { // its predecessor's samples, and the lost node's frames, come again
            scan.samplesLostNanos = System.nanoTime();
            scan.participants.forEach(node -> hosts.get(node).tell(new NodeProtocol.SendSamples(number())));
            return calibrating();
        }
        return streaming();
    }

    /** Open on the nodes; they send samples of their first complete frames, and the thresholds are decided. */
    private Behavior<CoordinatorProtocol.Command> calibrating() {
        scan.state = ScanView.State.CALIBRATING;
        return running(Behaviors.receive(CoordinatorProtocol.Command.class))
                .onMessage(CoordinatorProtocol.ThresholdSamples.class, samples -> {
                    scan.sampled.add(samples.node());
                    scan.addSamples(samples.frames());
                    if (scan.firstSampleNanos == 0) {
                        scan.firstSampleNanos = System.nanoTime();
                    }
                    return decideThresholds();
                })
                .onMessage(Tick.class, tick -> {
                    Behavior<CoordinatorProtocol.Command> next = scan.samples.isEmpty() ? Behaviors.same()
                            : decideThresholds();
                    return next == Behaviors.<CoordinatorProtocol.Command>same() ? checkIdle() : next;
                })
                .build();
    }

    /** Counting with decided thresholds, until every node's input has ended or the scan is idle too long. */
    private Behavior<CoordinatorProtocol.Command> streaming() {
        scan.state = ScanView.State.STREAMING;
        return running(Behaviors.receive(CoordinatorProtocol.Command.class))
                .onMessage(Tick.class, tick -> checkIdle())
                .build();
    }

    /** The nodes were asked to end their input; waiting until every one has and its frames are stored. */
    private Behavior<CoordinatorProtocol.Command> finalizing() {
        scan.state = ScanView.State.FINALIZING;
        return reports(queries(Behaviors.receive(CoordinatorProtocol.Command.class)))
                .onMessage(GatewayProtocol.CancelScan.class, this::replyWithView)
                .onMessage(ScanCoordinator.NodeJoined.class, this::rememberHost)
                .onMessage(ScanCoordinator.NodeGone.class, this::onNodeGone)
                .onMessage(Tick.class, tick -> tickUpdate())
                .build();
    }

    /** Every node has ended: the writer writes the metadata and commits the file. */
    private Behavior<CoordinatorProtocol.Command> committing() {
        scan.writer.tell(new WriterProtocol.CommitFile(number(), scan.attributes(), context.getSelf()));
        return queries(Behaviors.receive(CoordinatorProtocol.Command.class))
                .onMessage(GatewayProtocol.GetPictures.class, this::noPictures)
                .onMessage(CoordinatorProtocol.FileClosed.class, closed -> {
                    scan.closed = closed;
                    if (!closed.failure().isEmpty()) {
                        scan.failure = closed.failure();
                    }
                    if (closed.extraFrames() > 0) {
                        scan.message += "; " + closed.extraFrames() + " extra frames left out: positions got more"
                                + " than the " + scan.request.framesPerPosition() + " frame(s) the scan declared, and"
                                + " kept the lowest-numbered";
                    }
                    if (closed.duplicateFrames() > 0) {
                        scan.message += "; " + closed.duplicateFrames() + " frames arrived twice (sent again after a"
                                + " node was lost) and were stored once";
                    }
                    if (closed.failure().isEmpty() && !Path.of(closed.file()).equals(
                            Path.of(scan.request.output()).toAbsolutePath().normalize())) {
                        scan.message += "; " + scan.request.output() + " appeared during the scan, so the counted"
                                + " file is " + closed.file();
                    }
                    return finished(closed.failure().isEmpty() ? ScanView.State.DONE : ScanView.State.FAILED);
                })
                .onMessage(GatewayProtocol.CancelScan.class, this::replyWithView)
                .onMessage(WriterStopped.class, stopped -> {
                    scan.failure = "the scan's writer stopped before it committed the file";
                    return finished(ScanView.State.FAILED);
                })
                .onMessage(CoordinatorProtocol.Command.class, other -> Behaviors.same())
                .build();
    }

    /** Done, failed or cancelled: the scan answers questions about itself and nothing else. */
    private Behavior<CoordinatorProtocol.Command> finished(ScanView.State state) {
        scan.state = state;
        scan.finishedNanos = System.nanoTime();
        if (scan.failure != null) {
            scan.message = scan.failure + scan.rejections(); // a failure often has its cause among them
        }
        ScanView view = scan.view();
        NodeMetrics.get(context.getSystem()).scanFinished(view);
        context.getLog().info(view.line() + (scan.message.isEmpty() ? "" : "; " + scan.message));
        waiting.forEach(w -> w.tell(new GatewayProtocol.ScanFound(view)));
        waiting.clear();
        replyToStarter();
        roster.tell(new Roster.Pace(number(), scan.maxFrameSeen, scan.frameRate, scan.request.frames(), false));
        coordinator.tell(new ScanCoordinator.ScanUpdated(ScanCheckpoint.finished(view)));
        if (scan.replica != null) {
            scan.replica.tell(new ReplicaProtocol.Release(number()));
        }
        return queries(Behaviors.receive(CoordinatorProtocol.Command.class))
                .onMessage(GatewayProtocol.GetPictures.class, this::noPictures)
                .onMessage(GatewayProtocol.CancelScan.class, this::replyWithView)
                .onMessage(WriterProtocol.Frames.class, frames -> {
                    closeForWorker(frames);
                    return Behaviors.same();
                })
                .onMessage(CoordinatorProtocol.Command.class, other -> Behaviors.same())
                .build();
    }

    // ---- handlers shared by several behaviours ----------------------------------------------------------------

    /** Pictures come from the writer while it has the file open; before, and once it commits, there are none. */
    private Behavior<CoordinatorProtocol.Command> noPictures(GatewayProtocol.GetPictures get) {
        get.replyTo().tell(new GatewayProtocol.NoPictures("scan " + number() + " has no file open"));
        return Behaviors.same();
    }

    /** Status questions, answered the same in every state. */
    private BehaviorBuilder<CoordinatorProtocol.Command> queries(BehaviorBuilder<CoordinatorProtocol.Command> b) {
        return b.onMessage(GatewayProtocol.GetScan.class, get -> {
                    get.replyTo().tell(new GatewayProtocol.ScanFound(scan.view()));
                    return Behaviors.same();
                })
                .onMessage(GatewayProtocol.WhenFinished.class, when -> {
                    if (scan.state.isFinal()) {
                        when.replyTo().tell(new GatewayProtocol.ScanFound(scan.view()));
                    } else {
                        waiting.add(when.replyTo());
                    }
                    return Behaviors.same();
                });
    }

    /** What the nodes and workers report while the scan runs on them. */
    private BehaviorBuilder<CoordinatorProtocol.Command> reports(BehaviorBuilder<CoordinatorProtocol.Command> b) {
        return b.onMessage(CoordinatorProtocol.NodeProgress.class, this::onProgress)
                .onMessage(WriterProtocol.Frames.class, this::toWriter)
                .onMessage(CoordinatorProtocol.ReplicaReady.class, this::onReplicaReady)
                .onMessage(GatewayProtocol.GetPictures.class, get -> { // the writer has the file open
                    scan.writer.tell(new WriterProtocol.RenderPictures(number(), get.pattern(), get.brightField(),
                            get.darkFieldInner(), get.darkFieldOuter(), get.replyTo()));
                    return Behaviors.same();
                })
                .onMessage(WriterStopped.class, stopped -> {
                    if (scan.failure == null) {
                        scan.failure = "the scan's writer stopped before it committed the file";
                        if (scan.state != ScanView.State.FINALIZING) {
                            return endInputs(scan.failure, false);
                        }
                    }
                    return Behaviors.same();
                })
                .onMessage(CoordinatorProtocol.PartitionProgress.class, p -> {
                    scan.record(p);
                    return Behaviors.same();
                })
                .onMessage(CoordinatorProtocol.ScanOpened.class, opened -> {
                    scan.opened.add(opened.node());
                    replyToStarterOnceOpen();
                    return Behaviors.same();
                });
    }

    /** Calibrating and streaming: the scan takes nodes that join, and can be cancelled. */
    private BehaviorBuilder<CoordinatorProtocol.Command> running(BehaviorBuilder<CoordinatorProtocol.Command> b) {
        return reports(queries(b))
                .onMessage(GatewayProtocol.CancelScan.class, cancel -> {
                    cancelled = true;
                    Behavior<CoordinatorProtocol.Command> next = endInputs("cancelled", true);
                    cancel.replyTo().tell(new GatewayProtocol.ScanFound(scan.view()));
                    return next;
                })
                .onMessage(ScanCoordinator.NodeJoined.class, joined -> {
                    rememberHost(joined);
                    openOn(joined.address());
                    if (scan.replica == null && scan.replicaNode == null) {
                        keepReplica(); // a scan that began alone has a node to keep its copy now
                    }
                    return Behaviors.same();
                })
                .onMessage(ScanCoordinator.NodeGone.class, this::onNodeGone);
    }

    private Behavior<CoordinatorProtocol.Command> onFileOpened(CoordinatorProtocol.FileOpened opened) {
        if (!opened.failure().isEmpty()) {
            starter.tell(new GatewayProtocol.ScanRefused(opened.failure()));
            return Behaviors.stopped(); // the coordinator forgets the scan: its number may be used again
        }
        hosts.keySet().forEach(this::openOn);
        context.getLog().info("scan {} started on {} node(s): {}x{} positions, output {}", number(),
                scan.participants.size(), scan.request.scanWidth(), scan.request.scanHeight(), scan.request.output());
        Behavior<CoordinatorProtocol.Command> next = scan.request.thresholdsGiven() ? streaming() : calibrating();
        replyToStarterOnceOpen();
        return next;
    }

    private Behavior<CoordinatorProtocol.Command> onProgress(CoordinatorProtocol.NodeProgress p) {
        scan.record(p);
        roster.tell(new Roster.Pace(number(), scan.maxFrameSeen, scan.frameRate, scan.request.frames(), true));
        if (p.inputEnded()) {
            scan.ended.add(p.node());
        }
        if (!p.failure().isEmpty() && scan.failure == null) {
            scan.failure = "node " + p.node() + ": " + p.failure();
            if (scan.state != ScanView.State.FINALIZING) {
                return endInputs(scan.failure, false);
            }
        }
        return p.inputEnded() ? checkEnd() : Behaviors.same();
    }

    private Behavior<CoordinatorProtocol.Command> onNodeGone(ScanCoordinator.NodeGone gone) {
        hosts.remove(gone.address());
        if (scan.state == ScanView.State.CALIBRATING && !scan.sampled.contains(gone.address())) {
            scan.samplesLostNanos = System.nanoTime(); // its first frames come again, to other nodes
        }
        replaceReplicaOn(gone.address());
        if (gone.left()) {
            scan.left.add(gone.address());
        } else {
            scan.lost.add(gone.address());
        }
        if (scan.participants.remove(gone.address()) && !scan.ended.contains(gone.address())) {
            CoordinatorProtocol.NodeProgress last = scan.progress.get(gone.address());
            scan.idleFromNanos = System.nanoTime() + NODE_LOSS_GRACE_NANOS;
            scan.message = "node " + gone.address() + " " + gone.why() + " during the scan"
                    + (last == null ? "" : " after assembling " + last.framesAssembled() + " frames there")
                    + "; the producers send its frames not yet stored to the nodes that took its partitions";
            replyToStarterOnceOpen();
            return checkEnd();
        }
        return Behaviors.same();
    }

    /** A node that joined while the scan cannot take it (yet, or any more): known for messages to it. */
    private Behavior<CoordinatorProtocol.Command> rememberHost(ScanCoordinator.NodeJoined joined) {
        hosts.put(joined.address(), joined.host());
        return Behaviors.same();
    }

    private Behavior<CoordinatorProtocol.Command> replyWithView(GatewayProtocol.CancelScan cancel) {
        cancel.replyTo().tell(new GatewayProtocol.ScanFound(scan.view()));
        return Behaviors.same();
    }

    // ---- steps ------------------------------------------------------------------------------------------------

    private Behavior<CoordinatorProtocol.Command> toWriter(WriterProtocol.Frames frames) {
        scan.writer.tell(frames);
        return Behaviors.same();
    }

    /** Asks a node other than this one to keep the scan's replica; with none up, the writer acknowledges alone. */
    private void keepReplica() {
        String node = hosts.keySet().stream().filter(a -> !a.equals(self)).sorted().findFirst().orElse(null);
        scan.replica = null;
        scan.replicaNode = node;
        if (node == null) {
            scan.writer.tell(new WriterProtocol.UseReplica(null));
        } else {
            hosts.get(node).tell(new NodeProtocol.KeepReplica(number(), context.getSelf()));
        }
    }

    private Behavior<CoordinatorProtocol.Command> onReplicaReady(CoordinatorProtocol.ReplicaReady ready) {
        if (ready.node().equals(scan.replicaNode) && scan.replica == null) {
            useReplica(ready.replica(), ready.node());
        } else {
            ready.replica().tell(new ReplicaProtocol.Release(number())); // asked for before another was chosen
        }
        return Behaviors.same();
    }

    private void useReplica(ActorRef<ReplicaProtocol.Command> replica, String node) {
        scan.replica = replica;
        scan.replicaNode = node;
        scan.writer.tell(new WriterProtocol.UseReplica(replica));
        context.getLog().info("scan {}: node {} keeps the copy of its stored events", number(), node);
    }

    /** The node that kept the replica went: another keeps a new one, which the writer fills from its own log. */
    private void replaceReplicaOn(String address) {
        if (address.equals(scan.replicaNode)) {
            scan.replicaNode = null;
            keepReplica();
        }
    }

    private void openOn(String address) {
        ActorRef<NodeProtocol.Command> host = hosts.get(address);
        if (host != null && scan.participants.add(address)) {
            host.tell(new NodeProtocol.OpenScan(scan.request));
            if (!Double.isNaN(scan.background)) {
                host.tell(new NodeProtocol.UseThresholds(number(), scan.background, scan.xray));
            }
        }
    }

    /**
     * Decides once every node has sent its samples, or once enough frames are in and the others had a moment. After
     * samples were lost with a node, it waits for the samples of the scan's first frames, which the producers send
     * again to other nodes, for as long as a lost node's frames may take to come back.
     */
    private Behavior<CoordinatorProtocol.Command> decideThresholds() {
        long now = System.nanoTime();
        boolean everyone = scan.sampled.containsAll(scan.participants);
        boolean enough = scan.samples.size() >= scan.request.thresholdFrames()
                && now - scan.firstSampleNanos > SAMPLE_GRACE_NANOS;
        boolean lostOnesMayCome = scan.samplesLostNanos != 0 && now - scan.samplesLostNanos < NODE_LOSS_GRACE_NANOS;
        if (lostOnesMayCome ? !scan.samplesFromTheFirstFrames() : !everyone && !enough) {
            return Behaviors.same();
        }
        if (scan.samples.isEmpty()) {
            scan.failure = "no complete frame arrived to compute thresholds from; give --background-threshold and"
                    + " --xray-threshold, or check the producers";
            return endInputs(scan.failure, false);
        }
        try {
            scan.decideThresholds();
        } catch (IllegalArgumentException e) {
            scan.failure = "thresholds could not be computed: " + e.getMessage();
            return endInputs(scan.failure, false);
        }
        if (scan.samplesLostNanos != 0 && !scan.samplesFromTheFirstFrames()) {
            scan.thresholdsNote = "thresholds from frame(s) " + scan.samples.keySet().stream()
                    .limit(scan.request.thresholdFrames()).map(String::valueOf).collect(Collectors.joining(", "))
                    + ": the scan's first frames had not reached a live node " + NODE_LOSS_GRACE_NANOS / 1_000_000_000
                    + " s after a node was lost while they were computed";
            context.getLog().warn("scan {}: {}", number(), scan.thresholdsNote);
        }
        for (String address : scan.participants) {
            ActorRef<NodeProtocol.Command> host = hosts.get(address);
            if (host != null) {
                host.tell(new NodeProtocol.UseThresholds(number(), scan.background, scan.xray));
            }
        }
        return streaming();
    }

    /** Asks every node of the scan to end its input (they report back when their frames are stored). */
    private Behavior<CoordinatorProtocol.Command> endInputs(String why, boolean cancel) {
        scan.message = why;
        for (String address : scan.participants) {
            ActorRef<NodeProtocol.Command> host = hosts.get(address);
            if (host != null && !scan.ended.contains(address)) {
                host.tell(new NodeProtocol.EndScanInput(number(), cancel));
            }
        }
        Behavior<CoordinatorProtocol.Command> next = finalizing();
        replyToStarterOnceOpen();
        Behavior<CoordinatorProtocol.Command> end = checkEnd();
        return end == Behaviors.<CoordinatorProtocol.Command>same() ? next : end;
    }

    /** Once every node of the scan has ended its input, commit (or drop) the file. */
    private Behavior<CoordinatorProtocol.Command> checkEnd() {
        if (!scan.ended.containsAll(scan.participants)) {
            return Behaviors.same();
        }
        if (scan.state != ScanView.State.FINALIZING) {
            if (scan.message.isEmpty()) {
                String missing = scan.endsMissingFrom();
                scan.message = missing.isEmpty() ? "every producer sent its end of scan"
                        : "the input ended with no end of scan from " + missing;
            }
            scan.state = ScanView.State.FINALIZING;
        }
        if (cancelled || scan.failure != null) {
            return abandon();
        }
        return committing();
    }

    private Behavior<CoordinatorProtocol.Command> abandon() {
        scan.writer.tell(new WriterProtocol.AbandonFile(number()));
        return finished(cancelled ? ScanView.State.CANCELLED : ScanView.State.FAILED);
    }

    /**
     * Ends a scan that no data reached for its timeout (counted after the grace that follows a lost node), and nodes
     * that got nothing while the others finished.
     */
    private Behavior<CoordinatorProtocol.Command> checkIdle() {
        tickUpdate();
        long idle = Long.MAX_VALUE;
        // the detector finished when a node's input ended with every producer's end of scan; a node's input that
        // ended otherwise (it left, and drained) says nothing about the others, still taking frames
        boolean detectorDone = scan.progress.values().stream().anyMatch(ScanLifecycle::endedByTheDetector);
        for (String address : scan.participants) {
            CoordinatorProtocol.NodeProgress p = scan.progress.get(address);
            long nodeIdle = p == null ? (System.nanoTime() - scan.startedNanos) / 1_000_000 : p.idleMillis();
            idle = Math.min(idle, nodeIdle);
            ActorRef<NodeProtocol.Command> host = hosts.get(address);
            if (detectorDone && !scan.ended.contains(address) && nodeIdle > STRAGGLER_IDLE_MILLIS && host != null) {
                host.tell(new NodeProtocol.EndScanInput(number(), false));
            }
        }
        if (scan.idleFromNanos != 0) {
            idle = Math.min(idle, Math.max(0, (System.nanoTime() - scan.idleFromNanos) / 1_000_000));
        }
        if (idle > scan.request.idleTimeoutMillis()) {
            String missing = scan.endsMissingFrom();
            return endInputs("ended after " + scan.request.idleTimeoutMillis() / 1000 + " s without data"
                    + (missing.isEmpty() ? "" : " (no end of scan from " + missing + ")") + scan.rejections(), false);
        }
        return Behaviors.same();
    }

    private static boolean endedByTheDetector(CoordinatorProtocol.NodeProgress p) {
        return p.inputEnded() && java.util.Arrays.stream(p.sent()).allMatch(blocks -> blocks >= 0);
    }

    private Behavior<CoordinatorProtocol.Command> tickUpdate() {
        coordinator.tell(new ScanCoordinator.ScanUpdated(scan.checkpoint()));
        return Behaviors.same();
    }

    private void replyToStarterOnceOpen() {
        if (scan.opened.containsAll(scan.participants) || scan.state == ScanView.State.FINALIZING) {
            replyToStarter();
        }
    }

    private void replyToStarter() {
        if (starter != null) {
            starter.tell(new GatewayProtocol.ScanFound(scan.view()));
            starter = null;
        }
    }
}
