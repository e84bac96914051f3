package org.stemstream.node.nodehost;

import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.stemstream.protocol.StoredFrames;

/**
 * What this node can acknowledge to the detector's producers: per scan, the frames whose counted events the scan's
 * writer has stored, as counted by the workers on this node, and whether the node still takes the scan's frames.
 * The counting workers and the node host write it; the routing socket's thread reads it to answer producers, who
 * then free the blocks they retain. The newest {@value #SCANS_KEPT} scans are kept.
 */
public final class Acknowledgements {
    static final int SCANS_KEPT = 16;

    private static final class Scan {
        final BitSet stored = new BitSet();
        boolean open;
    }

    private final Map<Long, Scan> scans = new LinkedHashMap<>(SCANS_KEPT * 2, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Scan> eldest) {
            return size() > SCANS_KEPT;
        }
    };

    /** The node takes the scan's frames from now on. */
    synchronized void opened(long scanNumber) {
        scans.computeIfAbsent(scanNumber, n -> new Scan()).open = true;
    }

    /** The scan's input ended here: no frame of it is taken any more. */
    synchronized void closed(long scanNumber) {
        Scan scan = scans.get(scanNumber);
        if (scan != null) {
            scan.open = false;
        }
    }

    /** The writer stored these frames (counted by a worker on this node). */
    synchronized void stored(long scanNumber, long[] frameNumbers) {
        Scan scan = scans.computeIfAbsent(scanNumber, n -> new Scan());
        for (long frame : frameNumbers) {
            if (frame >= 0 && frame < Integer.MAX_VALUE) {
                scan.stored.set((int) frame);
            }
        }
    }

    /** The answer to a producer's request. */
    public synchronized StoredFrames answer(StoredFrames.Request request) {
        Scan scan = scans.get(request.scanNumber());
        if (scan == null || request.from() >= Integer.MAX_VALUE) {
            return new StoredFrames(request.scanNumber(), false, request.from(), new BitSet());
        }
        int from = (int) request.from();
        int to = (int) Math.min(request.to(), Integer.MAX_VALUE);
        return new StoredFrames(request.scanNumber(), scan.open, from, scan.stored.get(from, to));
    }
}
