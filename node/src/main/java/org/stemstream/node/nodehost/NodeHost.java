package org.stemstream.node.nodehost;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.Thresholds;
import org.stemstream.node.counting.References;
import org.stemstream.node.ingest.IngestReport;
import org.stemstream.node.ingest.ScanControl;
import org.stemstream.node.ingest.StreamedScan;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.ReplicaProtocol;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.cluster.ScanRequest;

/**
 * This node's part in the cluster: it tells the coordinator that the node counts (heartbeats with its rate), opens
 * scans in the node's stream and passes on the thresholds and ends the coordinator decides (as control elements:
 * the stream's stages own each scan's state), relays what the stream reports (input accounts, samples, failures,
 * end marks) to the coordinator, and hands over when the node leaves.
 */
public final class NodeHost extends AbstractBehavior<NodeProtocol.Command> {
    private static final Duration TICK = Duration.ofMillis(200);
    private static final int HEARTBEAT_TICKS = 5;
    private static final int ENDED_REMEMBERED = 16;
    /** How long a leaving node waits for its scans to be stored once their input has ended. */
    private static final long HAND_OVER_NANOS = Duration.ofSeconds(15).toNanos();

    private record FromStream(IngestReport report) implements NodeProtocol.Command {
    }

    private record SetupLoaded(NodeProtocol.OpenScan open, PixelCorrection correction, Throwable error)
            implements NodeProtocol.Command {
    }

    private record Tick() implements NodeProtocol.Command {
    }

    /**
     * This node is leaving: the coordinator routes its partitions elsewhere, the producers follow from the switch
     * frame on, then after {@code drain} this node ends its scans' input, and replies once its frames are stored.
     */
    public record Leave(Duration drain, ActorRef<Done> replyTo) implements NodeProtocol.Command {
    }

    /** A scan open on this node, as the host knows it from the stream's reports. */
    private static final class HostedScan {
        final ScanRequest request;
        final PixelCorrection correction;
        IngestReport.InputProgress input;
        String failure = "";

        HostedScan(ScanRequest request, PixelCorrection correction) {
            this.request = request;
            this.correction = correction;
        }
    }

    private final ActorRef<CoordinatorProtocol.Command> coordinator;
    private final RoutingTable.Endpoint endpoint;
    private final int countingThreads;
    private final ActorRef<ScanControl> stream;
    private final Executor blockingIo;
    private final Map<Long, HostedScan> scans = new HashMap<>();
    private final Map<Long, Thresholds> decided = new HashMap<>();
    /**
     * The last word on the latest scans whose input ended here, said again to a coordinator that asks to open or end
     * one of them after it moved (the first saying may have gone to the coordinator that died).
     */
    private final Map<Long, CoordinatorProtocol.NodeProgress> endedHere = new LinkedHashMap<>();
    private int ticks;
    private long assembledEver;
    private long assembledAtLastHeartbeat;
    private long lastHeartbeatNanos = System.nanoTime();
    private ActorRef<Done> leaving;
    private long endInputsAtNanos;
    /** Tells the producers whether this node still takes a scan's frames. */
    private final Acknowledgements acknowledgements;
    private boolean inputsEnded;

    /**
     * @param stream runs the node's stream with the given report address, and returns where its control goes
     */
    public static Behavior<NodeProtocol.Command> create(ActorRef<CoordinatorProtocol.Command> coordinator,
                                                        RoutingTable.Endpoint endpoint, int countingThreads,
                                                        Acknowledgements acknowledgements,
                                                        Function<ActorRef<IngestReport>, ActorRef<ScanControl>> stream) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            context.setLoggerName(NodeHost.class); // found from the stack it would be Pekko's, logged at WARN only
            timers.startTimerWithFixedDelay(new Tick(), TICK);
            coordinator.tell(new CoordinatorProtocol.NodeUp(endpoint, context.getSelf(), countingThreads, 0));
            ActorRef<ScanControl> control = stream.apply(context.messageAdapter(IngestReport.class, FromStream::new));
            return new NodeHost(context, coordinator, endpoint, countingThreads, acknowledgements, control);
        }));
    }

    private NodeHost(ActorContext<NodeProtocol.Command> context, ActorRef<CoordinatorProtocol.Command> coordinator,
                     RoutingTable.Endpoint endpoint, int countingThreads, Acknowledgements acknowledgements,
                     ActorRef<ScanControl> stream) {
        super(context);
        this.acknowledgements = acknowledgements;
        this.countingThreads = countingThreads;
        this.coordinator = coordinator;
        this.endpoint = endpoint;
        this.stream = stream;
        this.blockingIo = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    }

    @Override
    public Receive<NodeProtocol.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(NodeProtocol.OpenScan.class, this::onOpen)
                .onMessage(SetupLoaded.class, this::onSetupLoaded)
                .onMessage(NodeProtocol.UseThresholds.class, this::onThresholds)
                .onMessage(NodeProtocol.KeepReplica.class, this::onKeepReplica)
                .onMessage(NodeProtocol.SendSamples.class, this::onSendSamples)
                .onMessage(NodeProtocol.EndScanInput.class, this::onEndInput)
                .onMessage(FromStream.class, this::onStreamReport)
                .onMessage(Leave.class, this::onLeave)
                .onMessage(Tick.class, this::onTick)
                .build();
    }

    private Behavior<NodeProtocol.Command> onOpen(NodeProtocol.OpenScan open) {
        if (saidAgainThatItEnded(open.request().scanNumber())) {
            return this;
        }
        if (!scans.containsKey(open.request().scanNumber())) { // the coordinator repeats itself after moving
            getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> correction(open.request()), blockingIo),
                    (correction, error) -> new SetupLoaded(open, correction, error));
        }
        return this;
    }

    private Behavior<NodeProtocol.Command> onSetupLoaded(SetupLoaded loaded) {
        ScanRequest request = loaded.open().request();
        if (loaded.error() != null) {
            Throwable cause = loaded.error().getCause() != null ? loaded.error().getCause() : loaded.error();
            getContext().getLog().warn("scan {} cannot be counted here: cannot load the references: {}",
                    request.scanNumber(), cause.getMessage());
            coordinator.tell(new CoordinatorProtocol.NodeProgress(request.scanNumber(), endpoint.node(), 0,
                    new long[SECTORS], new long[SECTORS], 0, 0, 0, "", 0, 0, true,
                    "cannot load the references: " + cause.getMessage()));
            return this;
        }
        if (scans.containsKey(request.scanNumber())) {
            return this;
        }
        HostedScan scan = new HostedScan(request, loaded.correction());
        scans.put(request.scanNumber(), scan);
        acknowledgements.opened(request.scanNumber());
        getContext().getLog().info("scan {} open here: {}x{} positions, {} frame(s) each, thresholds {}",
                request.scanNumber(), request.scanWidth(), request.scanHeight(), request.framesPerPosition(),
                request.thresholdsGiven() ? request.backgroundThreshold() + " / " + request.xrayThreshold()
                        : "computed from the first " + request.thresholdFrames() + " complete frame(s)");
        CountingPlan given = request.thresholdsGiven() ? CountingPlan.of(loaded.correction(),
                new Thresholds(request.backgroundThreshold(), request.xrayThreshold())) : null;
        stream.tell(new ScanControl.Open(new StreamedScan(request, loaded.correction(), given)));
        Thresholds known = decided.get(request.scanNumber());
        if (known != null && given == null) {
            stream.tell(new ScanControl.Decide(request.scanNumber(), CountingPlan.of(scan.correction, known)));
        }
        return this;
    }

    private Behavior<NodeProtocol.Command> onThresholds(NodeProtocol.UseThresholds use) {
        Thresholds thresholds = new Thresholds(use.background(), use.xray());
        if (decided.putIfAbsent(use.scanNumber(), thresholds) == null) {
            HostedScan scan = scans.get(use.scanNumber());
            if (scan != null && !scan.request.thresholdsGiven()) {
                getContext().getLog().info("scan {}: thresholds background {}, x-ray {}", use.scanNumber(),
                        use.background(), use.xray());
                stream.tell(new ScanControl.Decide(use.scanNumber(), CountingPlan.of(scan.correction, thresholds)));
            }
        }
        return this;
    }

    private Behavior<NodeProtocol.Command> onSendSamples(NodeProtocol.SendSamples again) {
        if (scans.containsKey(again.scanNumber())) {
            stream.tell(new ScanControl.SendSamples(again.scanNumber()));
        }
        return this;
    }

    /** A replica lives as this host's child: it goes when the node does, and is found by the scan's number. */
    private Behavior<NodeProtocol.Command> onKeepReplica(NodeProtocol.KeepReplica keep) {
        String name = "replica-" + keep.scanNumber();
        ActorRef<ReplicaProtocol.Command> replica = getContext().getChild(name)
                .map(child -> child.<ReplicaProtocol.Command>unsafeUpcast())
                .orElseGet(() -> getContext().spawn(ScanReplica.create(keep.scanNumber(), endpoint.node()), name));
        keep.replyTo().tell(new CoordinatorProtocol.ReplicaReady(keep.scanNumber(), endpoint.node(), replica));
        return this;
    }

    /** Whether the scan's input ended here, said again to the coordinator if so: it cannot open again. */
    private boolean saidAgainThatItEnded(long scanNumber) {
        CoordinatorProtocol.NodeProgress last = endedHere.get(scanNumber);
        if (last != null) {
            coordinator.tell(last);
        }
        return last != null;
    }

    private Behavior<NodeProtocol.Command> onEndInput(NodeProtocol.EndScanInput end) {
        if (saidAgainThatItEnded(end.scanNumber())) {
            return this;
        }
        if (scans.containsKey(end.scanNumber())) {
            stream.tell(new ScanControl.EndInput(end.scanNumber(), end.cancel()));
        }
        return this;
    }

    private Behavior<NodeProtocol.Command> onStreamReport(FromStream message) {
        IngestReport report = message.report();
        HostedScan scan = scans.get(report.scanNumber());
        if (scan == null) {
            return this;
        }
        if (report instanceof IngestReport.Opened) {
            coordinator.tell(new CoordinatorProtocol.ScanOpened(report.scanNumber(), endpoint.node()));
        } else if (report instanceof IngestReport.InputProgress input) {
            assembledEver += input.framesAssembled() - (scan.input == null ? 0 : scan.input.framesAssembled());
            scan.input = input;
            coordinator.tell(progress(scan, false)); // at once: the routing switch point follows the frames seen
        } else if (report instanceof IngestReport.Samples samples) {
            coordinator.tell(new CoordinatorProtocol.ThresholdSamples(samples.scanNumber(), endpoint.node(),
                    samples.frames()));
        } else if (report instanceof IngestReport.Failed failed) {
            if (scan.failure.isEmpty()) {
                getContext().getLog().warn("scan {} failed here: {}", report.scanNumber(), failed.reason());
                scan.failure = failed.reason();
                coordinator.tell(progress(scan, false));
            }
        } else if (report instanceof IngestReport.InputEnded) {
            CoordinatorProtocol.NodeProgress last = progress(scan, true);
            getContext().getLog().info("scan {} ended here: {} frames assembled, blocks per sector {}, {} duplicate,"
                    + " {} late, {} other rejected", report.scanNumber(), last.framesAssembled(),
                    java.util.Arrays.toString(last.blocks()), last.duplicates(), last.late(), last.rejected());
            coordinator.tell(last);
            endedHere.put(report.scanNumber(), last);
            if (endedHere.size() > ENDED_REMEMBERED) {
                endedHere.remove(endedHere.keySet().iterator().next());
            }
            acknowledgements.closed(report.scanNumber());
            scans.remove(report.scanNumber());
            decided.remove(report.scanNumber());
            handOver();
        }
        return this;
    }

    private Behavior<NodeProtocol.Command> onLeave(Leave leave) {
        leaving = leave.replyTo();
        coordinator.tell(new CoordinatorProtocol.NodeLeaving(endpoint.node()));
        scans.keySet().forEach(n -> stream.tell(new ScanControl.HandOver(n)));
        endInputsAtNanos = System.nanoTime() + (scans.isEmpty() ? 0 : leave.drain().toNanos());
        handOver();
        return this;
    }

    private Behavior<NodeProtocol.Command> onTick(Tick tick) {
        ticks++;
        if (ticks % HEARTBEAT_TICKS == 0) {
            long now = System.nanoTime();
            double fps = Math.max(0, assembledEver - assembledAtLastHeartbeat) / ((now - lastHeartbeatNanos) / 1e9);
            assembledAtLastHeartbeat = assembledEver;
            lastHeartbeatNanos = now;
            heartbeat(fps);
        }
        handOver();
        return this;
    }

    /** The dark and gain of a scan, read from the paths in the request. */
    private static PixelCorrection correction(ScanRequest request) {
        try {
            float[] dark = References.dark(request.dark() == null ? null : Path.of(request.dark()),
                    request.darkScan().stream().map(Path::of).toList()).values();
            return PixelCorrection.of(dark, References.gain(request.gain() == null ? null : Path.of(request.gain())));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** While leaving: once the producers had time to switch, end every scan's input; reply when all are stored. */
    private void handOver() {
        if (leaving == null) {
            return;
        }
        if (!inputsEnded && System.nanoTime() >= endInputsAtNanos) {
            inputsEnded = true;
            scans.keySet().forEach(n -> stream.tell(new ScanControl.EndInput(n, false)));
        }
        boolean late = System.nanoTime() > endInputsAtNanos + HAND_OVER_NANOS;
        if (inputsEnded && (scans.isEmpty() || late)) {
            if (!scans.isEmpty()) {
                getContext().getLog().warn("leaving with {} scan(s) not yet handed over: {}", scans.size(),
                        scans.keySet());
            }
            leaving.tell(Done.getInstance());
            leaving = null;
        }
    }

    private void heartbeat(double framesPerSecond) {
        coordinator.tell(new CoordinatorProtocol.NodeUp(endpoint, getContext().getSelf(), countingThreads,
                framesPerSecond));
    }

    private CoordinatorProtocol.NodeProgress progress(HostedScan scan, boolean inputEnded) {
        IngestReport.InputProgress in = scan.input != null ? scan.input
                : new IngestReport.InputProgress(scan.request.scanNumber(), 0, new long[SECTORS],
                        new long[] {-1, -1, -1, -1}, 0, 0, 0, "", 0, 0);
        return new CoordinatorProtocol.NodeProgress(scan.request.scanNumber(), endpoint.node(), in.framesAssembled(),
                in.blocks(), in.sent(), in.duplicates(), in.late(), in.rejected(), in.lastRejection(),
                in.maxFrameSeen(), in.idleMillis(), inputEnded,
                scan.failure);
    }
}
