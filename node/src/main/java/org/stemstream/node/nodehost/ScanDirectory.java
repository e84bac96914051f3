package org.stemstream.node.nodehost;

import java.util.concurrent.ConcurrentHashMap;
import org.stemstream.node.ingest.BlockCheck;
import org.stemstream.protocol.BlockHeader;

/**
 * The scans this node is taking blocks for, by scan number: written by the coordinator, read by the receivers and
 * the assembler on every block.
 */
public final class ScanDirectory implements BlockCheck {
    private final ConcurrentHashMap<Long, ScanSession> accepting = new ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<ScanSession> endRequests =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    void open(ScanSession session) {
        accepting.put(session.scanNumber(), session);
    }

    void close(ScanSession session) {
        accepting.remove(session.scanNumber(), session);
    }

    /**
     * Stops taking blocks for the scan and asks the stream to end its input: the assembler hands on its open frames
     * and sends the end mark after them, which tells the coordinator when the last frame is counted.
     */
    void end(ScanSession session) {
        session.stopAccepting();
        close(session);
        endRequests.add(session);
    }

    /** The next scan whose input the stream should end, or null. */
    public ScanSession nextEndRequest() {
        return endRequests.poll();
    }

    /** The session taking blocks of this scan number, or null. */
    public ScanSession accepting(long scanNumber) {
        ScanSession s = accepting.get(scanNumber);
        return s != null && s.accepting() ? s : null;
    }

    @Override
    public Rejection check(BlockHeader header) {
        ScanSession session = accepting(header.scanNumber());
        if (session == null) {
            return new Rejection("unknown scan", "no scan " + header.scanNumber() + " is being counted here");
        }
        String outside = header.checkWithin(session.request().scanWidth(), session.request().scanHeight());
        return outside == null ? null : new Rejection("impossible header", outside);
    }
}
