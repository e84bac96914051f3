package org.stemstream.node.detector;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * One receiver server of the detector: a PUSH socket that sends its sector of every frame as a two-part message
 * (the 16-byte block header, then the 165,888-byte payload) and ends with an end of scan. A full send queue (the
 * high-water mark) makes the send wait: that is how a slow node slows its detector.
 */
final class SectorProducer implements Callable<Long> {
    private final ZContext context;
    private final int sector;
    private final String endpoint;
    private final FrameFeed feed;
    private final DetectorEmulator.Settings settings;
    private final FaultInjection faults;
    private final long startNanos;
    private volatile long lastSentNanos;

    SectorProducer(ZContext context, int sector, String endpoint, FrameFeed feed, DetectorEmulator.Settings settings,
                   FaultInjection faults, long startNanos) {
        this.context = context;
        this.sector = sector;
        this.endpoint = endpoint;
        this.feed = feed;
        this.settings = settings;
        this.faults = faults;
        this.startNanos = startNanos;
    }

    long lastSentNanos() {
        return lastSentNanos;
    }

    /** Sends the sector's blocks and its end of scan; returns the number of blocks sent. */
    @Override
    public Long call() throws Exception {
        ZMQ.Socket socket = context.createSocket(SocketType.PUSH);
        try (FrameFeed.SectorReader reader = feed.reader(sector)) {
            socket.setSndHWM(settings.sendHighWaterMark());
            socket.setSendTimeOut(settings.sendTimeoutMillis());
            socket.setLinger(settings.lingerMillis());
            socket.connect(endpoint);
            if (sector == 0) {
                sendFaults(socket, reader);
            }
            long sent = 0;
            for (int i = 0; i < feed.frames(); i++) {
                pace(i);
                BlockHeader header = reader.header(i);
                byte[] payload = reader.payload(i);
                if (payload != null && !faults.drops(sector, header.frameNumber())) {
                    send(socket, header.toBytes(), payload);
                    sent++;
                    if (faults.duplicates(sector, header.frameNumber())) {
                        send(socket, header.toBytes(), payload);
                    }
                }
                if (i == faults.pauseAfter()) {
                    Thread.sleep(faults.pause().toMillis());
                }
            }
            if (!faults.noEnd().contains(sector)) {
                check(socket.send(new EndOfScan(feed.scanNumber(), sector, sent).toBytes(), 0), "end of scan");
            }
            lastSentNanos = System.nanoTime();
            return sent;
        } finally {
            context.destroySocket(socket);
        }
    }

    private void send(ZMQ.Socket socket, byte[] header, byte[] payload) {
        check(socket.sendMore(header) && socket.send(payload, 0), "a block");
    }

    private void check(boolean sent, String what) {
        if (!sent) {
            throw new IllegalStateException("sector " + sector + ": sending " + what + " to " + endpoint
                    + " timed out after " + settings.sendTimeoutMillis() + " ms (is the node running?)");
        }
    }

    /** Waits until frame i is due at the configured rate (no wait without a rate). */
    private void pace(int i) {
        if (settings.framesPerSecond() <= 0) {
            return;
        }
        long due = startNanos + (long) (i * 1e9 / settings.framesPerSecond());
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
        }
    }

    /** Malformed messages of each kind in turn, and blocks of another scan. */
    private void sendFaults(ZMQ.Socket socket, FrameFeed.SectorReader reader) throws Exception {
        byte[] header = reader.header(0).toBytes();
        byte[] payload = new byte[SECTOR_BYTES];
        for (int i = 0; i < faults.malformed(); i++) {
            switch (i % 5) {
                case 0 -> check(socket.sendMore(header) && socket.sendMore(payload) && socket.send(new byte[1], 0),
                        "a 3-part message");
                case 1 -> check(socket.sendMore(header) && socket.send(new byte[100], 0), "a short payload");
                case 2 -> check(socket.sendMore(new byte[10]) && socket.send(payload, 0), "a short header");
                case 3 -> check(socket.send(new byte[24], 0), "an end of scan without its mark");
                default -> check(socket.send(payload, 0), "a one-part payload");
            }
        }
        BlockHeader first = reader.header(0);
        BlockHeader foreign = new BlockHeader((first.scanNumber() + 1) & 0xFFFF_FFFFL, first.frameNumber(),
                first.scanWidth(), first.scanHeight(), first.x(), first.y());
        for (int i = 0; i < faults.foreignBlocks(); i++) {
            send(socket, foreign.toBytes(), payload);
        }
    }
}
