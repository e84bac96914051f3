package org.stemstream.node.ingest;

import org.stemstream.node.nodehost.ScanSession;

/** What leaves the frame assembler: frames, and the mark that a scan's input has ended. */
public sealed interface Assembled {
    ScanSession session();

    /**
     * A frame's four sector payloads (pooled buffers; null where a sector is missing).
     *
     * @param mask bit s set when sector s arrived
     */
    record Frame(ScanSession session, long frameNumber, int position, byte[][] sectors, int mask) implements Assembled {
        public boolean complete() {
            return mask == (1 << sectors.length) - 1;
        }
    }

    /** Every producer of the scan has ended, and every frame of it was handed on before this mark. */
    record InputEnded(ScanSession session) implements Assembled {
    }
}
