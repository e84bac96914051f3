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

    /**
     * This node is leaving: the scan's frames still missing sectors when they time out or the input ends are dropped,
     * not counted incomplete and acknowledged here. Their producers, which keep every block until its frame is
     * stored, send them again to the frames' new owners once this node has left the routing table.
     */
    record HandOver(long scanNumber) implements ScanControl {
    }

    /** A coordinator that took over the scan asks for the samples of its frames held for thresholds again. */
    record SendSamples(long scanNumber) implements ScanControl {
    }

    /** Stop taking the scan's blocks: hand on (or, cancelled, drop) its open frames, then its end mark. */
    record EndInput(long scanNumber, boolean cancel) implements ScanControl {
    }
}
