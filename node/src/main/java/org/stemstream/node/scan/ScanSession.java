package org.stemstream.node.scan;

import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;
import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;
import org.stemstream.hdf5.ScanShape;
import org.stemstream.hdf5.SparseCountsWriter;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ThresholdStatistics;
import org.stemstream.kernel.Thresholds;
import org.stemstream.node.counting.CountSummary;
import org.stemstream.node.counting.CountedScanMetadata;
import org.stemstream.node.counting.FrameListener;
import org.stemstream.node.counting.ThresholdPolicy;
import org.stemstream.protocol.EndOfScan;

/**
 * One scan being streamed on this node: its thresholds, its counted file, and the account of every frame and block.
 *
 * <p>Who touches what: the frame assembler (one stream stage) owns the emitted-frame set and sees blocks and ends; the
 * threshold gate sets the plan; counting threads {@link #record} frames; the coordinator reads the counters and
 * finishes the scan. Counters are atomic; the file and the slot bookkeeping are guarded by this object.
 */
public final class ScanSession {
    private final ScanSpec spec;
    private final SparseCountsWriter writer;
    private final FrameListener listener;
    private final long startedNanos = System.nanoTime();

    private volatile CountingPlan plan;
    private volatile ThresholdStatistics statistics;
    private volatile String failure;
    private volatile boolean accepting = true;
    private volatile boolean cancelled;
    private final java.util.concurrent.atomic.AtomicBoolean inputEnded = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long firstDataNanos;
    private volatile long lastActivityNanos = System.nanoTime();

    private final AtomicLongArray blocks = new AtomicLongArray(SECTORS);
    private final AtomicLongArray sent = new AtomicLongArray(SECTORS);
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong late = new AtomicLong();
    private final AtomicLong extraFrames = new AtomicLong();
    private final AtomicLong assembled = new AtomicLong();
    private final AtomicLong counted = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private final AtomicLong events = new AtomicLong();

    /** Assembler only. */
    private final LongHashSet emitted = new LongHashSet();
    private int endedSectors;

    /** Guarded by this: which slots hold a frame, which of them incomplete, positions still short of frames. */
    private final BitSet written;
    private final LongArrayList incompleteSlots = new LongArrayList();
    private final Int2ObjectHashMap<List<PendingFrame>> pending = new Int2ObjectHashMap<>();

    private record PendingFrame(long frameNumber, boolean complete, int[] events) {
    }

    ScanSession(ScanSpec spec, FrameListener listener) throws IOException {
        this.spec = spec;
        this.listener = listener;
        this.writer = SparseCountsWriter.create(spec.output(), new ScanShape(spec.scanWidth(), spec.scanHeight(),
                spec.framesPerPosition(), FRAME_WIDTH, FRAME_HEIGHT));
        this.written = new BitSet(spec.frames());
        for (int s = 0; s < SECTORS; s++) {
            sent.set(s, -1);
        }
        if (spec.counting().thresholds() instanceof ThresholdPolicy.Given given) {
            plan = CountingPlan.of(spec.counting().correction(), given.thresholds());
        }
    }

    public ScanSpec spec() {
        return spec;
    }

    public long scanNumber() {
        return spec.scanNumber();
    }

    // ---- thresholds -------------------------------------------------------------------------------------------

    /** The counting plan, or null while thresholds are being computed. */
    public CountingPlan plan() {
        return plan;
    }

    public ThresholdPolicy.Computed calibration() {
        return spec.counting().thresholds() instanceof ThresholdPolicy.Computed c ? c : null;
    }

    public void calibrated(ThresholdStatistics computed) {
        statistics = computed;
        plan = CountingPlan.of(spec.counting().correction(), computed.thresholds());
    }

    public void fail(String reason) {
        if (failure == null) {
            failure = reason;
        }
        accepting = false;
    }

    public String failure() {
        return failure;
    }

    // ---- the assembler's side ---------------------------------------------------------------------------------

    /** True while the scan takes new blocks. */
    public boolean accepting() {
        return accepting;
    }

    public boolean cancelled() {
        return cancelled;
    }

    public void blockArrived(int sector) {
        long now = System.nanoTime();
        if (firstDataNanos == 0) {
            firstDataNanos = now;
        }
        lastActivityNanos = now;
        blocks.incrementAndGet(sector);
    }

    /** Records a producer's end of scan; true once every sector has ended. */
    public boolean endArrived(EndOfScan end) {
        lastActivityNanos = System.nanoTime();
        if (sent.getAndSet(end.sector(), end.blocksSent()) < 0) {
            endedSectors++;
        }
        return endedSectors == SECTORS;
    }

    /** True once the stream has sent the scan's end mark: later blocks are late. */
    public boolean inputHasEnded() {
        return inputEnded.get();
    }

    /** True the first time only: the stream sends exactly one end mark per scan. */
    public boolean markInputEnded() {
        return inputEnded.compareAndSet(false, true);
    }

    /** False when the frame was already handed on: its block comes too late. */
    public boolean firstEmission(long frameNumber) {
        return emitted.add(frameNumber);
    }

    public boolean alreadyEmitted(long frameNumber) {
        return emitted.contains(frameNumber);
    }

    public void duplicate() {
        duplicates.incrementAndGet();
    }

    public void late() {
        late.incrementAndGet();
    }

    public void frameAssembled() {
        assembled.incrementAndGet();
    }

    // ---- the counting side ------------------------------------------------------------------------------------

    /** Stores a counted frame's events in its slot (position-major, frames of a position by frame number). */
    public void record(long frameNumber, int position, boolean complete, int[] frameEvents, int n) throws IOException {
        int fpp = spec.framesPerPosition();
        boolean stored = false;
        synchronized (this) {
            if (fpp == 1) {
                if (!written.get(position)) {
                    write(position, frameNumber, complete, frameEvents, n);
                    stored = true;
                }
            } else if (!written.get(position * fpp)) {
                List<PendingFrame> frames = pending.computeIfAbsent(position, p -> new ArrayList<>(fpp));
                frames.add(new PendingFrame(frameNumber, complete, java.util.Arrays.copyOf(frameEvents, n)));
                if (frames.size() == fpp) {
                    flushPosition(position, pending.remove(position));
                }
                stored = true;
            }
        }
        if (stored) {
            counted.incrementAndGet();
            events.addAndGet(n);
        } else {
            extraFrames.incrementAndGet(); // more frames at this position than the scan has
        }
    }

    /** A frame that left the stream without being counted (its scan failed or was cancelled). */
    public void discarded() {
        discarded.incrementAndGet();
    }

    private void flushPosition(int position, List<PendingFrame> frames) throws IOException {
        frames.sort(Comparator.comparingLong(PendingFrame::frameNumber));
        for (int k = 0; k < frames.size(); k++) {
            PendingFrame f = frames.get(k);
            write(position * spec.framesPerPosition() + k, f.frameNumber(), f.complete(), f.events(), f.events().length);
        }
    }

    private void write(int slot, long frameNumber, boolean complete, int[] frameEvents, int n) throws IOException {
        writer.writeFrame(slot, frameEvents, n);
        written.set(slot);
        if (!complete) {
            incompleteSlots.addLong(slot);
        }
        listener.counted(slot, frameNumber, frameEvents, n);
    }

    // ---- the coordinator's side -------------------------------------------------------------------------------

    /** Stops taking blocks; frames already in the stream still settle. */
    public void stopAccepting() {
        accepting = false;
    }

    public void cancel() {
        cancelled = true;
        accepting = false;
    }

    /** Writes the metadata and commits the file; every slot without a frame is reported missing. */
    public CountSummary commit() throws IOException {
        synchronized (this) {
            for (var entry : pending.entrySet()) {
                flushPosition(entry.getKey(), entry.getValue());
            }
            pending.clear();
            long[] missing = new long[spec.frames() - written.cardinality()];
            for (int slot = written.nextClearBit(0), i = 0; slot < spec.frames(); slot = written.nextClearBit(slot + 1)) {
                missing[i++] = slot;
            }
            long[] incomplete = incompleteSlots.toLongArray();
            java.util.Arrays.sort(incomplete);
            Thresholds thresholds = plan == null ? null : plan.thresholds();
            CountSummary summary = new CountSummary(spec.scanNumber(), spec.frames(), written.cardinality(),
                    incomplete, missing, events.get(), thresholds, statistics, secondsSinceFirstData(),
                    spec.output());
            CountedScanMetadata.write(writer, spec.counting(), summary);
            writer.commit();
            return summary;
        }
    }

    /** Closes the file without committing it: nothing is left behind. */
    public void abandon() {
        try {
            writer.close();
        } catch (IOException e) {
            // the temporary file is gone or was never there; nothing else to undo
        }
    }

    // ---- what status requests see -----------------------------------------------------------------------------

    public long framesCounted() {
        return counted.get();
    }

    public long incompleteSoFar() {
        synchronized (this) {
            return incompleteSlots.size();
        }
    }

    public long events() {
        return events.get();
    }

    public long extraFrames() {
        return extraFrames.get();
    }

    public long duplicates() {
        return duplicates.get();
    }

    public long lateBlocks() {
        return late.get();
    }

    public long blocks(int sector) {
        return blocks.get(sector);
    }

    /** Blocks the sector's producer said it sent, or -1 before its end of scan. */
    public long sent(int sector) {
        return sent.get(sector);
    }

    public long nanosSinceActivity() {
        return System.nanoTime() - lastActivityNanos;
    }

    public double secondsSinceStart() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    public double secondsSinceFirstData() {
        long first = firstDataNanos;
        return first == 0 ? 0 : (System.nanoTime() - first) / 1e9;
    }
}
