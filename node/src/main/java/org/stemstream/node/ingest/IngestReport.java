package org.stemstream.node.ingest;

import java.util.List;
import org.stemstream.protocol.SampleStatistics;

/** What the node's stream tells its host (messages, never shared state). */
public sealed interface IngestReport {
    long scanNumber();

    /** The scan is open in the assembler: its blocks are taken from now on. */
    record Opened(long scanNumber) implements IngestReport {
    }

    /**
     * The assembler's account of a scan's input.
     *
     * @param sent          blocks each sector's producer said it sent here, -1 before its end of scan
     * @param rejected      other messages rejected while the input was open: impossible headers, frames outside the
     *                      scan, and messages of scans not open here (a detector set to the wrong scan number)
     * @param lastRejection why the last of them was rejected
     */
    record InputProgress(long scanNumber, long framesAssembled, long[] blocks, long[] sent, long duplicates,
                         long late, long rejected, String lastRejection, long maxFrameSeen, long idleMillis)
            implements IngestReport {
    }

    /** The statistics of this node's first complete frames, for the cluster's thresholds (all it will send). */
    record Samples(long scanNumber, List<SampleStatistics> frames) implements IngestReport {
    }

    /** The scan cannot be counted here any more, and why. */
    record Failed(long scanNumber, String reason) implements IngestReport {
    }

    /** The scan's end mark has passed the whole stream: every frame it counted here is stored by the writer. */
    record InputEnded(long scanNumber) implements IngestReport {
    }
}
