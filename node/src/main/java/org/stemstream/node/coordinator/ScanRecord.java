package org.stemstream.node.coordinator;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.stemstream.kernel.ThresholdCalculator;
import org.stemstream.kernel.ThresholdStatistics;
import org.stemstream.node.counting.CountedScanMetadata;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.SampleStatistics;
import org.stemstream.protocol.cluster.ReplicaProtocol;
import org.stemstream.protocol.cluster.ScanCheckpoint;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * One scan's facts as its {@link ScanLifecycle} knows them: which nodes take part and what each node and counting
 * worker reported, its thresholds and its writer. The lifecycle decides; this holds the facts and turns them into the
 * view and the file's metadata.
 */
final class ScanRecord {
    private static final long RATE_WINDOW_NANOS = 400_000_000L;

    final ScanRequest request;
    final ActorRef<WriterProtocol.Command> writer;
    final long startedNanos = System.nanoTime();
    /** While a lost node's frames come again, the scan is not idle before this (System.nanoTime); 0: no loss. */
    long idleFromNanos;
    long firstCountedNanos;
    ScanView.State state;
    String message = "";
    /** Nodes that have the scan open in their stream. */
    final Set<String> opened = new HashSet<>();
    final Set<String> participants = new HashSet<>();
    final Set<String> ended = new HashSet<>();
    /** Nodes that left the cluster gracefully during the scan. */
    final Set<String> left = new HashSet<>();
    /** Nodes lost (died, or stopped answering) during the scan: their ends of scan will never come. */
    final Set<String> lost = new HashSet<>();
    /** The node keeping the replica of the writer's batches, and the replica once it is ready. */
    String replicaNode;
    ActorRef<ReplicaProtocol.Command> replica;
    /** Whether and how the scan's coordinator moved (empty: it never did). */
    String moved = "";
    /** Why the thresholds came from other frames than the scan's first (empty: they did not). */
    String thresholdsNote = "";
    final Map<String, CoordinatorProtocol.NodeProgress> progress = new TreeMap<>();
    /** Each counting worker's account, by partition and the node its incarnation ran on. */
    final Map<String, CoordinatorProtocol.PartitionProgress> partitions = new TreeMap<>();
    /** The nodes' samples for thresholds, by frame number (a node may send a frame's sample again). */
    final TreeMap<Long, SampleStatistics> samples = new TreeMap<>();
    final Set<String> sampled = new HashSet<>();
    long firstSampleNanos;
    /**
     * When samples may have been lost (a node went, or the coordinator, before the thresholds were decided), or 0:
     * the frames they came from are sent again to other nodes, which sample them later.
     */
    long samplesLostNanos;
    ThresholdStatistics statistics;
    double background = Double.NaN;
    double xray = Double.NaN;
    String failure;
    long finishedNanos;
    long maxFrameSeen;
    /** The frame rate the detector sends at, measured over windows of {@link #RATE_WINDOW_NANOS}. */
    double frameRate;
    private long rateWindowNanos;
    private long rateWindowFrame;
    CoordinatorProtocol.FileClosed closed;
    /** Why the last block the nodes rejected while the scan was open was rejected, and where. */
    String lastRejection = "";

    ScanRecord(ScanRequest request, ActorRef<WriterProtocol.Command> writer) {
        this.request = request;
        this.writer = writer;
        if (request.thresholdsGiven()) {
            background = request.backgroundThreshold();
            xray = request.xrayThreshold();
        }
        state = request.thresholdsGiven() ? ScanView.State.STREAMING : ScanView.State.CALIBRATING;
    }

    /** Takes a node's progress report, tracking the highest frame seen and the frame rate. */
    void record(CoordinatorProtocol.NodeProgress p) {
        CoordinatorProtocol.NodeProgress before = progress.put(p.node(), p);
        if (p.rejected() > (before == null ? 0 : before.rejected())) {
            lastRejection = p.lastRejection() + " (at " + p.node() + ")";
        }
        long now = System.nanoTime();
        maxFrameSeen = Math.max(maxFrameSeen, p.maxFrameSeen());
        if (rateWindowNanos == 0 && maxFrameSeen > 0) {
            rateWindowNanos = now;
            rateWindowFrame = maxFrameSeen;
        } else if (rateWindowNanos > 0 && now - rateWindowNanos >= RATE_WINDOW_NANOS) {
            // over a whole window: nodes report at their own moments, so close reports must not make a rate
            double rate = (maxFrameSeen - rateWindowFrame) / ((now - rateWindowNanos) / 1e9);
            frameRate = Math.max(rate, frameRate * 0.8); // decays, so a burst does not stay forever
            rateWindowNanos = now;
            rateWindowFrame = maxFrameSeen;
        }
    }

    /** Takes a counting worker's account of the scan. */
    void record(CoordinatorProtocol.PartitionProgress p) {
        partitions.put(p.partition() + "@" + p.node(), p);
        if (firstCountedNanos == 0 && p.framesCounted() > 0) {
            firstCountedNanos = System.nanoTime();
        }
    }

    /** Frames the workers on a node counted. */
    long countedOn(String node) {
        return partitions.values().stream().filter(p -> p.node().equals(node))
                .mapToLong(CoordinatorProtocol.PartitionProgress::framesCounted).sum();
    }

    /** Blocks rejected while the scan was open, for messages that explain a failure; empty when none. */
    String rejections() {
        long rejected = progress.values().stream().mapToLong(CoordinatorProtocol.NodeProgress::rejected).sum();
        return rejected == 0 ? "" : "; meanwhile " + rejected + " blocks were rejected, the last as " + lastRejection;
    }

    /**
     * Which sectors a node had no end of scan from, as "sector 1 at A; sectors 0, 2 at B"; empty when every one came.
     * A node that left during the scan counts as ended: it handed its frames over before the producers' ends.
     */
    String endsMissingFrom() {
        if (progress.isEmpty()) {
            return "any sector (no node reported)";
        }
        List<String> missing = new ArrayList<>();
        progress.forEach((node, p) -> {
            if (left.contains(node) || lost.contains(node)) {
                return;
            }
            List<String> sectors = new ArrayList<>();
            for (int s = 0; s < SECTORS; s++) {
                if (p.sent()[s] < 0) {
                    sectors.add(String.valueOf(s));
                }
            }
            if (!sectors.isEmpty()) {
                missing.add((sectors.size() == 1 ? "sector " : "sectors ") + String.join(", ", sectors) + " at "
                        + node);
            }
        });
        return String.join("; ", missing);
    }

    void addSamples(List<SampleStatistics> frames) {
        frames.forEach(f -> samples.put(f.frames()[0], f));
    }

    /** The samples of the K lowest frame numbers any node reported (stempy's first complete frames). */
    List<SampleStatistics> lowestSamples() {
        return samples.values().stream().limit(request.thresholdFrames()).toList();
    }

    /**
     * Whether the K lowest samples are the scan's first K frames (numbered from 1, or from 0), so that no frame still
     * to come can be lower.
     */
    boolean samplesFromTheFirstFrames() {
        int k = request.thresholdFrames();
        if (samples.size() < k || samples.firstKey() > 1) {
            return false;
        }
        long kth = samples.keySet().stream().skip(k - 1).findFirst().orElseThrow();
        return kth == samples.firstKey() + k - 1; // distinct and sorted: no gap below the K-th
    }

    /** Decides the thresholds from the K lowest samples, as stempy computes them. */
    void decideThresholds() {
        statistics = ThresholdCalculator.compute(SampleStatistics.mergeAll(lowestSamples()),
                request.thresholdSamples(), request.backgroundSigma(), request.xraySigma());
        background = statistics.thresholds().background();
        xray = statistics.thresholds().xray();
    }

    /** The scan as the operator sees it. */
    ScanView view() {
        long counted = 0;
        long incomplete = 0;
        long duplicates = 0;
        long late = 0;
        long rejected = 0;
        long[] blocks = new long[SECTORS];
        long[] sent = new long[SECTORS];
        boolean[] allSent = {true, true, true, true};
        List<ScanView.NodeAccount> perNode = new ArrayList<>();
        for (CoordinatorProtocol.PartitionProgress p : partitions.values()) {
            counted += p.framesCounted();
            incomplete += p.framesIncomplete();
        }
        for (CoordinatorProtocol.NodeProgress p : progress.values()) {
            duplicates += p.duplicates();
            late += p.late();
            rejected += p.rejected();
            for (int s = 0; s < SECTORS; s++) {
                blocks[s] += p.blocks()[s];
                if (p.sent()[s] < 0) {
                    allSent[s] = false;
                } else {
                    sent[s] += p.sent()[s];
                }
            }
            perNode.add(new ScanView.NodeAccount(p.node(), countedOn(p.node()), p.inputEnded()));
        }
        List<ScanView.SectorAccount> sectors = new ArrayList<>();
        for (int s = 0; s < SECTORS; s++) {
            sectors.add(new ScanView.SectorAccount(s, blocks[s], allSent[s] && !progress.isEmpty() ? sent[s] : -1));
        }
        CoordinatorProtocol.FileClosed written = closed != null && closed.failure().isEmpty() ? closed : null;
        long missing = written != null ? written.framesMissing() : 0;
        long events = written != null ? written.events() : 0;
        long extra = written != null ? written.extraFrames() : 0;
        if (written != null) {
            counted = written.framesWritten();
            incomplete = written.framesIncomplete();
        }
        // the rate since counting began (the first progress report lags it by up to 0.4 s)
        double seconds = firstCountedNanos == 0 ? 0
                : (System.nanoTime() - firstCountedNanos) / 1e9 + 0.4;
        if (state.isFinal() && finishedNanos > 0 && firstCountedNanos > 0) {
            seconds = (finishedNanos - firstCountedNanos) / 1e9 + 0.4;
        }
        double rate = seconds > 0 ? counted / seconds : 0;
        double eta = rate > 0 ? (request.frames() - counted) / rate : -1;
        return new ScanView(request.scanNumber(), state, request.frames(), counted, incomplete,
                missing, events, rate, eta, sectors, duplicates, late, rejected, lastRejection, extra, background, xray,
                perNode, written != null ? written.file() : request.output(),
                String.join("; ", java.util.stream.Stream.of(message, moved, thresholdsNote)
                        .filter(m -> !m.isEmpty()).toList()));
    }

    /** The view, and what a coordinator that takes over needs to go on with the scan. */
    ScanCheckpoint checkpoint() {
        return new ScanCheckpoint(view(), request, replica, List.copyOf(progress.values()),
                List.copyOf(partitions.values()), lowestSamples(), thresholdsNote);
    }

    /** Takes the accounts and thresholds a coordinator that went had, to go on with its scan. */
    void resumeFrom(ScanCheckpoint checkpoint) {
        addSamples(checkpoint.samples());
        thresholdsNote = checkpoint.thresholdsNote();
        background = checkpoint.view().backgroundThreshold();
        xray = checkpoint.view().xrayThreshold();
        if (!request.thresholdsGiven() && !Double.isNaN(background) && !samples.isEmpty()) {
            decideThresholds(); // again, from the same samples: the same thresholds, and their statistics
        }
        state = Double.isNaN(background) ? ScanView.State.CALIBRATING : ScanView.State.STREAMING;
        checkpoint.nodes().forEach(p -> {
            progress.put(p.node(), p);
            maxFrameSeen = Math.max(maxFrameSeen, p.maxFrameSeen());
            if (p.inputEnded()) {
                ended.add(p.node());
            }
        });
        checkpoint.partitions().forEach(this::record);
    }

    /** The metadata the coordinator knows (the writer adds the frame accounting). */
    Map<String, Object> attributes() {
        ScanView view = view();
        Map<String, Object> a = CountedScanMetadata.attributes(request, background, xray,
                statistics);
        for (ScanView.SectorAccount s : view.sectors()) {
            a.put("sector" + s.sector() + "_blocks_received", s.blocksReceived());
            a.put("sector" + s.sector() + "_blocks_sent", s.blocksSent());
        }
        a.put("duplicate_blocks", view.duplicateBlocks());
        a.put("late_blocks", view.lateBlocks());
        a.put("other_rejected_blocks", view.rejectedBlocks());
        a.put("nodes", String.join(" ", progress.keySet()));
        if (!message.isEmpty()) {
            a.put("ended", message);
        }
        if (!moved.isEmpty()) {
            a.put("coordinator_moved", moved);
        }
        if (!thresholdsNote.isEmpty()) {
            a.put("threshold_note", thresholdsNote);
        }
        return a;
    }
}
