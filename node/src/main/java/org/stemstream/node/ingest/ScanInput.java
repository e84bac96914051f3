package org.stemstream.node.ingest;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.util.Arrays;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.stemstream.protocol.EndOfScan;

/**
 * One scan's input as the frame assembler sees it: its open frames, the frames it handed on, and its account of
 * blocks, ends of scan, duplicates and late blocks. Owned by the assembler's stage, on its one thread.
 */
final class ScanInput {
    final StreamedScan scan;
    /** Frames waiting for sectors, by frame number. */
    final Long2ObjectHashMap<OpenFrame> open = new Long2ObjectHashMap<>();
    private LongHashSet handedOn = new LongHashSet();
    private final long[] blocks = new long[SECTORS];
    private final long[] sent = {-1, -1, -1, -1};
    /** Per sector, the highest frame number that came here, and when its last block came (from the scan's opening). */
    private final long[] newestFrame = {-1, -1, -1, -1};
    private final long[] lastBlockNanos = new long[SECTORS];
    private int endedSectors;
    private long duplicates;
    private long late;
    private long rejected;
    private String lastRejection = "";
    private long maxFrameSeen;
    private long framesAssembled;
    private long lastActivityNanos = System.nanoTime();
    private boolean ended;
    private boolean cancelled;
    /** This node is leaving: frames still missing sectors go to their new owners, not counted here. */
    private boolean handingOver;

    ScanInput(StreamedScan scan) {
        this.scan = scan;
        Arrays.fill(lastBlockNanos, lastActivityNanos);
    }

    long scanNumber() {
        return scan.scanNumber();
    }

    boolean ended() {
        return ended;
    }

    boolean cancelled() {
        return cancelled;
    }

    void handOver() {
        handingOver = true;
    }

    boolean handingOver() {
        return handingOver;
    }

    /** Ends the input (every producer ended, or the host said so); false when it had already ended. */
    boolean end(boolean cancel) {
        if (ended) {
            return false;
        }
        ended = true;
        cancelled = cancel;
        handedOn = null; // blocks from now on are late whatever their frame
        return true;
    }

    void blockArrived(int sector, long frameNumber) {
        lastActivityNanos = System.nanoTime();
        lastBlockNanos[sector] = lastActivityNanos;
        newestFrame[sector] = Math.max(newestFrame[sector], frameNumber);
        blocks[sector]++;
        maxFrameSeen = Math.max(maxFrameSeen, frameNumber);
    }

    /**
     * Whether a sector the frame lacks has not reached it here, and its producer sent this node something less than
     * {@code silenceNanos} ago: a producer that waits for room in its retention is behind the others, and its block
     * is still to come. One that passed the frame lost its block; one silent longer is taken as gone.
     */
    boolean awaitsSectorBehind(OpenFrame frame, long now, long silenceNanos) {
        for (int s = 0; s < SECTORS; s++) {
            if ((frame.mask & 1 << s) == 0 && newestFrame[s] < frame.frameNumber
                    && now - lastBlockNanos[s] < silenceNanos) {
                return true;
            }
        }
        return false;
    }

    /** Records a producer's end of scan; true once every sector has ended. */
    boolean endArrived(EndOfScan end) {
        lastActivityNanos = System.nanoTime();
        if (sent[end.sector()] < 0) {
            endedSectors++;
        }
        sent[end.sector()] = end.blocksSent();
        return endedSectors == SECTORS;
    }

    boolean wasHandedOn(long frameNumber) {
        return handedOn != null && handedOn.contains(frameNumber);
    }

    void handedOn(long frameNumber) {
        if (handedOn != null) {
            handedOn.add(frameNumber);
        }
        framesAssembled++;
    }

    void duplicate() {
        duplicates++;
    }

    void late() {
        late++;
    }

    /** Counts a message rejected while this scan's input was open (its own, or one of a scan not open here). */
    void rejected(String why) {
        rejected++;
        lastRejection = why;
    }

    /** The highest frame number the scan can have: frames are numbered from 1 (0 is allowed as well). */
    long lastFrameNumber() {
        return scan.request().frames();
    }

    IngestReport.InputProgress progress() {
        return new IngestReport.InputProgress(scanNumber(), framesAssembled, blocks.clone(), sent.clone(), duplicates,
                late, rejected, lastRejection, maxFrameSeen, (System.nanoTime() - lastActivityNanos) / 1_000_000);
    }

    /** A frame still waiting for sectors. */
    static final class OpenFrame {
        final ScanInput input;
        final long frameNumber;
        final int position;
        final byte[][] sectors = new byte[SECTORS][];
        final long openedNanos = System.nanoTime();
        int mask;
        boolean gone;

        OpenFrame(ScanInput input, long frameNumber, int position) {
            this.input = input;
            this.frameNumber = frameNumber;
            this.position = position;
        }
    }
}
