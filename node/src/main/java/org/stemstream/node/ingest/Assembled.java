package org.stemstream.node.ingest;

import org.stemstream.kernel.CountingPlan;

/** What flows after the frame assembler: frames, counted frames, and the mark that a scan's input has ended. */
public sealed interface Assembled {
    StreamedScan scan();

    /**
     * A frame's four sector payloads (pooled buffers; null where a sector is missing).
     *
     * @param mask bit s set when sector s arrived
     * @param plan how to count it, set by the threshold gate; null before the gate, or when it is not to be counted
     */
    record Frame(StreamedScan scan, long frameNumber, int position, byte[][] sectors, int mask, CountingPlan plan)
            implements Assembled {
        public boolean complete() {
            return mask == (1 << sectors.length) - 1;
        }

        Frame counted(CountingPlan with) {
            return new Frame(scan, frameNumber, position, sectors, mask, with);
        }
    }

    /** A counted frame's events (null when it was not counted: its scan failed or was cancelled). */
    record Counted(StreamedScan scan, long frameNumber, int position, boolean complete, int[] events)
            implements Assembled {
    }

    /** The scan's input has ended here; every frame of it went ahead of this mark. */
    record InputEnded(StreamedScan scan) implements Assembled {
    }
}
