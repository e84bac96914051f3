package org.stemstream.node.ingest;

import org.stemstream.kernel.CountingPlan;

/**
 * What the node's host tells its stream about scans. These enter the stream as elements, on an inlet of their own
 * that the assembler and the threshold gate always take from, so each scan's state lives in the stage that owns it.
 */
public sealed interface ScanControl extends IngestInput {
    long scanNumber();

    /** Take blocks of this scan from now on. */
    record Open(StreamedScan scan) implements ScanControl {
        @Override
        public long scanNumber() {
            return scan.scanNumber();
        }
    }

    /** The cluster decided the scan's thresholds: count its held frames with this plan. */
    record Decide(long scanNumber, CountingPlan plan) implements ScanControl {
    }

    /** Stop taking the scan's blocks: hand on (or, cancelled, drop) its open frames, then its end mark. */
    record EndInput(long scanNumber, boolean cancel) implements ScanControl {
    }
}
