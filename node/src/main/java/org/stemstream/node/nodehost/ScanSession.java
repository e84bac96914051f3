package org.stemstream.node.nodehost;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import org.agrona.collections.LongHashSet;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.Thresholds;
import org.stemstream.protocol.EndOfScan;
import org.stemstream.protocol.cluster.SampleStatistics;
import org.stemstream.protocol.cluster.ScanRequest;

/**
 * One scan as this node streams it: its counting plan, where its counted frames go, and the account of its blocks.
 *
 * <p>Who touches what: the frame assembler (one stream stage) owns the emitted-frame set and sees blocks and ends; the
 * threshold gate reports samples; counting threads {@link #record} frames; the node's host actor reads the counters,
 * sets the thresholds and ends the scan. Counters are atomic.
 */
public final class ScanSession {
    private final ScanRequest request;
    private final PixelCorrection correction;
    private final FrameForwarder forwarder;
    private final Consumer<List<SampleStatistics>> samples;

    private volatile CountingPlan plan;
    private volatile String failure;
    private volatile boolean accepting = true;
    private volatile boolean cancelled;
    private final AtomicBoolean inputEnded = new AtomicBoolean();
    private volatile long lastActivityNanos = System.nanoTime();

    private final AtomicLongArray blocks = new AtomicLongArray(SECTORS);
    private final AtomicLongArray sent = new AtomicLongArray(SECTORS);
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong late = new AtomicLong();
    private final AtomicLong counted = new AtomicLong();
    private final AtomicLong incomplete = new AtomicLong();
    private final AtomicLong maxFrameSeen = new AtomicLong();

    /** Assembler only. */
    private final LongHashSet emitted = new LongHashSet();
    private int endedSectors;

    /**
     * @param samples where the statistics of this node's first complete frames go (to the coordinator)
     */
    public ScanSession(ScanRequest request, PixelCorrection correction, FrameForwarder forwarder,
                       Consumer<List<SampleStatistics>> samples) {
        this.request = request;
        this.correction = correction;
        this.forwarder = forwarder;
        this.samples = samples;
        for (int s = 0; s < SECTORS; s++) {
            sent.set(s, -1);
        }
        if (request.thresholdsGiven()) {
            useThresholds(new Thresholds(request.backgroundThreshold(), request.xrayThreshold()));
        }
    }

    public ScanRequest request() {
        return request;
    }

    public long scanNumber() {
        return request.scanNumber();
    }

    public PixelCorrection correction() {
        return correction;
    }

    public FrameForwarder forwarder() {
        return forwarder;
    }

    // ---- thresholds -------------------------------------------------------------------------------------------

    /** The counting plan, or null while the cluster decides the thresholds. */
    public CountingPlan plan() {
        return plan;
    }

    /** Complete frames this node samples for the thresholds. */
    public int thresholdFrames() {
        return request.thresholdFrames();
    }

    public void reportSamples(List<SampleStatistics> frames) {
        samples.accept(frames);
    }

    public void useThresholds(Thresholds thresholds) {
        plan = CountingPlan.of(correction, thresholds);
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

    public void blockArrived(int sector, long frameNumber) {
        lastActivityNanos = System.nanoTime();
        blocks.incrementAndGet(sector);
        maxFrameSeen.accumulateAndGet(frameNumber, Math::max);
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

    // ---- the counting side ------------------------------------------------------------------------------------

    /** Sends a counted frame on to the scan's writer (waiting if the writer is behind). */
    public void record(long frameNumber, int position, boolean complete, int[] frameEvents, int n)
            throws IOException, InterruptedException {
        forwarder.add(frameNumber, position, complete, frameEvents, n);
        counted.incrementAndGet();
        if (!complete) {
            incomplete.incrementAndGet();
        }
    }

    // ---- the host's side --------------------------------------------------------------------------------------

    /** Stops taking blocks; frames already in the stream still settle. */
    public void stopAccepting() {
        accepting = false;
    }

    public void cancel() {
        cancelled = true;
        accepting = false;
    }

    public long framesCounted() {
        return counted.get();
    }

    public long framesIncomplete() {
        return incomplete.get();
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

    /** Blocks the sector's producer said it sent here, or -1 before its end of scan. */
    public long sent(int sector) {
        return sent.get(sector);
    }

    public long maxFrameSeen() {
        return maxFrameSeen.get();
    }

    public long nanosSinceActivity() {
        return System.nanoTime() - lastActivityNanos;
    }
}
