package org.stemstream.node.nodehost;

import org.stemstream.node.coordinator.SectorEntity;
import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.Thresholds;
import org.stemstream.node.counting.References;
import org.stemstream.node.ingest.SectorStats;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.cluster.SampleStatistics;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.SectorProtocol;

/**
 * This node's part in every scan: opens the scan in the local stream when the coordinator says so, passes on the
 * thresholds the cluster decided, sends the coordinator its heartbeat, its progress and its samples, and reports when
 * its input has ended and every frame it counted is stored by the scan's writer.
 */
public final class NodeHost extends AbstractMatchingBehavior<NodeProtocol.Command> {
    private static final Duration TICK = Duration.ofMillis(200);
    private static final int HEARTBEAT_TICKS = 5;
    private static final int MAX_UNSTORED_BATCHES = 8;
    /** How long a leaving node waits for its scans to be stored once their input has ended. */
    private static final long HAND_OVER_NANOS = Duration.ofSeconds(15).toNanos();

    /** From the stream: the scan's end mark has passed the counting step here. */
    public record InputEnded(ScanSession session) implements NodeProtocol.Command {
    }

    private record SetupLoaded(NodeProtocol.OpenScan open, PixelCorrection correction, Throwable error)
            implements NodeProtocol.Command {
    }

    private record SamplesReady(long scanNumber, List<SampleStatistics> frames) implements NodeProtocol.Command {
    }

    private record Drained(ScanSession session, Long stored, Throwable error) implements NodeProtocol.Command {
    }

    private record Tick() implements NodeProtocol.Command {
    }

    /**
     * This node is leaving: the coordinator routes its partitions elsewhere, the producers follow from the switch
     * frame on, then after {@code drain} this node ends its scans' input, and replies once its frames are stored.
     */
    public record Leave(Duration drain, ActorRef<org.apache.pekko.Done> replyTo) implements NodeProtocol.Command {
    }

    private final ActorRef<CoordinatorProtocol.Command> coordinator;
    private final ScanDirectory directory;
    private final SectorStats[] sectorStats;
    private final RoutingTable.Endpoint endpoint;
    private final Executor blockingIo;
    private final Map<Long, ScanSession> sessions = new HashMap<>();
    private final Map<Long, Thresholds> decided = new HashMap<>();
    private int ticks;
    private long countedAtLastHeartbeat;
    private long lastHeartbeatNanos = System.nanoTime();
    private long countedEver;
    private ActorRef<org.apache.pekko.Done> leaving;
    private long endInputsAtNanos;
    private boolean inputsEnded;

    public static Behavior<NodeProtocol.Command> create(ActorRef<CoordinatorProtocol.Command> coordinator,
                                                        ScanDirectory directory, SectorStats[] sectorStats,
                                                        RoutingTable.Endpoint endpoint) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Tick(), TICK);
            return new NodeHost(context, coordinator, directory, sectorStats, endpoint);
        }));
    }

    private NodeHost(ActorContext<NodeProtocol.Command> context, ActorRef<CoordinatorProtocol.Command> coordinator,
                     ScanDirectory directory, SectorStats[] sectorStats, RoutingTable.Endpoint endpoint) {
        super(context);
        this.coordinator = coordinator;
        this.directory = directory;
        this.sectorStats = sectorStats;
        this.endpoint = endpoint;
        this.blockingIo = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
        heartbeat(0);
    }

    @Override
    public Behavior<NodeProtocol.Command> onMessage(NodeProtocol.Command command) {
        if (command instanceof NodeProtocol.OpenScan open) {
            open(open);
        } else if (command instanceof SetupLoaded loaded) {
            opened(loaded);
        } else if (command instanceof NodeProtocol.UseThresholds use) {
            Thresholds t = new Thresholds(use.background(), use.xray());
            decided.put(use.scanNumber(), t);
            ScanSession session = sessions.get(use.scanNumber());
            if (session != null && session.plan() == null) {
                session.useThresholds(t);
            }
        } else if (command instanceof NodeProtocol.EndScanInput end) {
            ScanSession session = sessions.get(end.scanNumber());
            if (session != null) {
                if (end.cancel()) {
                    session.cancel();
                }
                directory.end(session);
            }
        } else if (command instanceof NodeProtocol.FramesStored stored) {
            ScanSession session = sessions.get(stored.scanNumber());
            if (session != null) {
                session.forwarder().stored(stored.batch());
            }
        } else if (command instanceof SamplesReady ready) {
            coordinator.tell(new CoordinatorProtocol.ThresholdSamples(ready.scanNumber(), endpoint.node(),
                    ready.frames()));
        } else if (command instanceof InputEnded ended) {
            getContext().pipeToSelf(ended.session().forwarder().drain(),
                    (stored, error) -> new Drained(ended.session(), stored, error));
        } else if (command instanceof Drained drained) {
            ScanSession session = drained.session();
            if (drained.error() != null) {
                session.fail("sending counted frames to the writer failed: " + drained.error().getMessage());
            }
            coordinator.tell(progress(session, true));
            sessions.remove(session.scanNumber(), session);
            decided.remove(session.scanNumber());
        } else if (command instanceof Leave leave) {
            leaving = leave.replyTo();
            coordinator.tell(new CoordinatorProtocol.NodeLeaving(endpoint.node()));
            endInputsAtNanos = System.nanoTime() + (sessions.isEmpty() ? 0 : leave.drain().toNanos());
            handOver();
        } else if (command instanceof Tick) {
            tick();
            handOver();
        }
        return this;
    }

    private void open(NodeProtocol.OpenScan open) {
        if (sessions.containsKey(open.request().scanNumber())) {
            return; // the coordinator repeats itself after moving; the scan is already open here
        }
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> correction(open.request()), blockingIo),
                (correction, error) -> new SetupLoaded(open, correction, error));
    }

    private void opened(SetupLoaded loaded) {
        ScanRequest request = loaded.open().request();
        if (loaded.error() != null) {
            Throwable cause = loaded.error().getCause() != null ? loaded.error().getCause() : loaded.error();
            coordinator.tell(new CoordinatorProtocol.NodeProgress(request.scanNumber(), endpoint.node(), 0, 0, 0,
                    new long[SECTORS], new long[SECTORS], 0, 0, 0, 0, true,
                    "cannot load the references: " + cause.getMessage()));
            return;
        }
        FrameForwarder forwarder = new FrameForwarder(request.scanNumber(), loaded.open().writer(),
                getContext().getSelf(), MAX_UNSTORED_BATCHES);
        ActorRef<NodeProtocol.Command> self = getContext().getSelf();
        ScanSession session = new ScanSession(request, loaded.correction(), forwarder,
                frames -> self.tell(new SamplesReady(request.scanNumber(), frames)));
        Thresholds known = decided.get(request.scanNumber());
        if (known != null && session.plan() == null) {
            session.useThresholds(known);
        }
        sessions.put(request.scanNumber(), session);
        directory.open(session);
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
            sessions.values().forEach(directory::end);
        }
        boolean late = System.nanoTime() > endInputsAtNanos + HAND_OVER_NANOS;
        if (inputsEnded && (sessions.isEmpty() || late)) {
            if (!sessions.isEmpty()) {
                getContext().getLog().warn("leaving with {} scan(s) not yet handed over: {}", sessions.size(),
                        sessions.keySet());
            }
            leaving.tell(org.apache.pekko.Done.getInstance());
            leaving = null;
        }
    }

    private void tick() {
        ticks++;
        for (ScanSession session : sessions.values()) {
            try {
                session.forwarder().sendPending();
            } catch (IOException e) {
                session.fail(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (ticks % 2 == 0) {
                coordinator.tell(progress(session, false));
            }
        }
        if (ticks % HEARTBEAT_TICKS == 0) {
            long counted = countedEver + sessions.values().stream().mapToLong(ScanSession::framesCounted).sum();
            long now = System.nanoTime();
            double fps = Math.max(0, counted - countedAtLastHeartbeat) / ((now - lastHeartbeatNanos) / 1e9);
            countedAtLastHeartbeat = counted;
            lastHeartbeatNanos = now;
            heartbeat(fps);
            reportSectors();
        }
    }

    /** This node's account of each sector, to the sector's entity. */
    private void reportSectors() {
        for (SectorStats stats : sectorStats) {
            SectorEntity.of(getContext().getSystem(), stats.sector()).tell(new SectorProtocol.Report(stats.sector(),
                    endpoint.node(), stats.messages(), stats.bytes(), stats.rejections(),
                    stats.millisSinceLastMessage()));
        }
    }

    private void heartbeat(double framesPerSecond) {
        coordinator.tell(new CoordinatorProtocol.NodeUp(endpoint, getContext().getSelf(), framesPerSecond));
    }

    private CoordinatorProtocol.NodeProgress progress(ScanSession s, boolean inputEnded) {
        long[] blocks = new long[SECTORS];
        long[] sent = new long[SECTORS];
        for (int i = 0; i < SECTORS; i++) {
            blocks[i] = s.blocks(i);
            sent[i] = s.sent(i);
        }
        if (inputEnded) {
            countedEver += s.framesCounted();
        }
        return new CoordinatorProtocol.NodeProgress(s.scanNumber(), endpoint.node(), s.framesCounted(),
                s.framesIncomplete(), s.forwarder().forwarded(), blocks, sent, s.duplicates(), s.lateBlocks(),
                s.maxFrameSeen(), s.nanosSinceActivity() / 1_000_000, inputEnded,
                s.failure() == null ? "" : s.failure());
    }
}
