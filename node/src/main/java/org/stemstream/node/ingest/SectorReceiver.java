package org.stemstream.node.ingest;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stemstream.node.security.ProducerSessions;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;
import org.stemstream.protocol.security.BlockSeal;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import zmq.Msg;

/**
 * One detector sector's ZeroMQ PULL socket and the one thread that reads it.
 *
 * <p>The thread receives only when the stream has asked for a message ({@link #request}), so a stream that stops
 * pulling leaves messages in ZeroMQ's queue; once the small receive high-water mark is reached, the producer's send
 * waits. Malformed messages are counted, logged at a bounded rate and dropped here; whether a block belongs to a
 * scan is the frame assembler's question. The thread stops by a flag it checks between short receive timeouts,
 * never by interrupt (JeroMQ sockets do not survive one).
 */
public final class SectorReceiver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SectorReceiver.class);
    private static final int POLL_MILLIS = 100;
    /** The most parts a message the receiver takes has: a sealed block's. */
    private static final int MAX_PARTS = 3;

    private final int sector;
    private final ZContext context;
    private final ZMQ.Socket socket;
    /** ZeroMQ's events of the socket: producers connecting and disconnecting. */
    private final ZMQ.Socket monitor;
    private final SectorBuffers buffers;
    private final SectorStats stats;
    private final RateLimitedLog rejections = new RateLimitedLog(LOG, 5_000);
    private final Semaphore demand = new Semaphore(0);
    /** Null: security off. */
    private final ProducerSessions sessions;
    /** The message being read (its first {@value #MAX_PARTS} parts); only the reading thread touches it. */
    private final Msg[] parts = new Msg[MAX_PARTS];
    private volatile boolean running = true;
    private Thread thread;

    public SectorReceiver(ZContext context, int sector, String endpoint, int receiveHighWaterMark,
                          SectorBuffers buffers, SectorStats stats, ProducerSessions sessions) {
        this.sector = sector;
        this.sessions = sessions;
        this.context = context;
        this.buffers = buffers;
        this.stats = stats;
        this.socket = context.createSocket(SocketType.PULL);
        socket.setRcvHWM(receiveHighWaterMark);
        socket.setMsgAllocator(buffers);
        // ZeroMQ places a connection on the least loaded I/O thread it sees when the connection comes, which can put
        // two sectors on one thread and none on another: each sector gets a thread of its own.
        socket.setAffinity(1L << (sector % context.getIoThreads()));
        socket.setReceiveTimeOut(POLL_MILLIS);
        socket.setLinger(0);
        socket.bind(endpoint);
        String events = "inproc://stemstream-sector-" + sector + "-" + System.identityHashCode(this);
        socket.monitor(events, ZMQ.EVENT_ACCEPTED | ZMQ.EVENT_DISCONNECTED);
        this.monitor = context.createSocket(SocketType.PAIR);
        monitor.connect(events);
    }

    public int sector() {
        return sector;
    }

    /** Starts the reading thread; each message goes to {@code deliver}, one per {@link #request}. */
    public synchronized void start(Consumer<SectorMessage> deliver) {
        if (thread != null) {
            throw new IllegalStateException("sector " + sector + " receiver already started");
        }
        thread = new Thread(() -> run(deliver), "ingress-sector-" + sector);
        thread.setDaemon(true);
        thread.start();
    }

    /** The stream wants one more message. */
    public void request() {
        demand.release();
    }

    /** Stops the thread (within a receive timeout); the thread closes its sockets. */
    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t == null) {
            context.destroySocket(socket);
            context.destroySocket(monitor);
            return;
        }
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(Consumer<SectorMessage> deliver) {
        try {
            while (running) {
                watchConnections();
                if (!demand.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                SectorMessage message = null;
                while (running && message == null) {
                    message = receive();
                    watchConnections();
                }
                if (message != null) {
                    deliver.accept(message);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (running) {
                LOG.error("sector {} receiver stopped", sector, e);
            }
        } finally {
            context.destroySocket(socket);
            context.destroySocket(monitor);
        }
    }

    /** Counts the producers that connected or went away since the last look. */
    private void watchConnections() {
        for (ZMQ.Event event = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT); event != null;
             event = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT)) {
            if (event.getEvent() == ZMQ.EVENT_ACCEPTED) {
                stats.producerConnected();
            } else if (event.getEvent() == ZMQ.EVENT_DISCONNECTED) {
                stats.producerDisconnected();
            }
        }
    }

    /** One message off the socket, checked; null on a timeout or when it was rejected. */
    private SectorMessage receive() {
        Msg first = socket.recvMsg(0);
        if (first == null) {
            if (socket.errno() == zmq.ZError.ETERM) {
                running = false;
            }
            return null;
        }
        parts[0] = first;
        int count = 1;
        for (Msg last = first; last.hasMore(); count++) {
            last = socket.recvMsg(0);
            if (last == null) {
                releaseParts(Math.min(count, MAX_PARTS));
                reject("malformed", "a message ended after its part " + count);
                return null;
            }
            if (count < MAX_PARTS) {
                parts[count] = last;
            } else {
                release(last);
            }
        }
        SectorMessage message = sessions == null ? plain(count) : sealed(count);
        Arrays.fill(parts, null);
        return message;
    }

    /** Security off: a block is a header and a payload, an end of scan one part. */
    private SectorMessage plain(int count) {
        if (count == 1) {
            return endOfScan(parts[0]);
        }
        if (count > 2) {
            releaseParts(MAX_PARTS);
            reject("malformed", "a " + count + "-part message (a block has 2 parts, an end-of-scan 1)");
            return null;
        }
        Msg header = parts[0];
        Msg payload = parts[1];
        if (header.size() != BlockHeader.BYTES || payload.size() != SECTOR_BYTES) {
            release(payload);
            reject("malformed", "a 2-part message of " + header.size() + " + " + payload.size() + " bytes (a block"
                    + " is " + BlockHeader.BYTES + " + " + SECTOR_BYTES + ")");
            return null;
        }
        return block(header, payload);
    }

    /**
     * Security on: every message ends with the seal of a session its producer opened for this sector, and is taken
     * once, as it was sent (an encrypted payload is decrypted here, in its buffer).
     */
    private SectorMessage sealed(int count) {
        boolean end = count == 2 && parts[0].size() == EndOfScan.BYTES;
        if (count != 3 && !end) {
            releaseParts(Math.min(count, MAX_PARTS));
            if (count == 1 && parts[0].size() == EndOfScan.BYTES
                    || count == 2 && parts[0].size() == BlockHeader.BYTES && parts[1].size() == SECTOR_BYTES) {
                reject("unauthenticated", "a message without a seal: this node takes blocks only from producers with"
                        + " the deployment's producer key (stemstream detector --security DIR)");
            } else {
                reject("malformed", "a " + count + "-part message (with security on, a block has 3 parts, an"
                        + " end-of-scan 2)");
            }
            return null;
        }
        byte[] seal = parts[count - 1].data();
        int kind = seal.length >= BlockSeal.GCM_SEAL_BYTES ? BlockSeal.kindOf(seal) : -1;
        if (!wellFormed(end, kind)) {
            releaseParts(count);
            reject("malformed", "a sealed " + count + "-part message of " + sizes(count) + " bytes");
            return null;
        }
        if (kind == BlockSeal.KIND_CLEAR && sessions.encryptedOnly()) {
            releaseParts(count);
            reject("unencrypted", "a sealed block in clear: this node takes only encrypted blocks"
                    + " (stemstream.security.encrypted-blocks-only; stemstream detector --encrypt)");
            return null;
        }
        BlockSeal session = sessions.sealFor(sector, seal);
        if (session == null) {
            releaseParts(count);
            reject("unauthenticated", "a seal naming session " + Long.toHexString(BlockSeal.sessionOf(seal))
                    + ", which no producer of sector " + sector + " opened here (or this node restarted since)");
            return null;
        }
        BlockSeal.Verdict verdict = end ? session.openEnd(parts[0].data(), parts[0].size(), seal)
                : session.openBlock(parts[0].data(), payload(parts[1]), seal);
        if (verdict != BlockSeal.Verdict.ACCEPTED) {
            releaseParts(count);
            String reason = verdict == BlockSeal.Verdict.TAMPERED ? "tampered" : "replayed";
            reject(reason, (end ? "an end of scan" : "a block") + " of session " + Long.toHexString(
                    session.session()) + (verdict == BlockSeal.Verdict.TAMPERED ? " whose seal does not match its"
                    + " content: changed on its way" : " already taken: sent again by someone"));
            return null;
        }
        return end ? endOfScan(parts[0]) : block(parts[0], parts[1]);
    }

    /** Whether a sealed message's parts have the sizes its kind needs. */
    private boolean wellFormed(boolean end, int kind) {
        int seal = parts[end ? 1 : 2].size();
        if (end) {
            return kind == BlockSeal.KIND_END && seal == BlockSeal.MAC_SEAL_BYTES;
        }
        int payload = parts[1].size();
        return parts[0].size() == BlockHeader.BYTES && (kind == BlockSeal.KIND_CLEAR
                && seal == BlockSeal.MAC_SEAL_BYTES && payload == SECTOR_BYTES || kind == BlockSeal.KIND_ENCRYPTED
                && seal == BlockSeal.GCM_SEAL_BYTES && payload == BlockSeal.ENCRYPTED_PAYLOAD_BYTES);
    }

    private String sizes(int count) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < count; i++) {
            out.append(i == 0 ? "" : " + ").append(parts[i].size());
        }
        return out.toString();
    }

    private SectorMessage block(Msg header, Msg payload) {
        stats.received(BlockHeader.BYTES + SECTOR_BYTES);
        return new SectorMessage.Block(sector, BlockHeader.read(header.buf()), payload(payload));
    }

    private SectorMessage endOfScan(Msg message) {
        EndOfScan end;
        try {
            end = EndOfScan.parse(message.data(), message.size());
        } catch (IllegalArgumentException e) {
            release(message);
            reject("malformed", e.getMessage());
            return null;
        }
        if (end.sector() != sector) {
            reject("malformed", "an end-of-scan for sector " + end.sector() + " on sector " + sector + "'s socket");
            return null;
        }
        stats.received(message.size());
        return new SectorMessage.End(sector, end);
    }

    /**
     * The pooled array JeroMQ decoded into: the socket's allocator gives every payload-sized message one (a sector,
     * or an encrypted sector and its tag), so it is taken without a copy.
     */
    private static byte[] payload(Msg message) {
        return message.buf().array();
    }

    private void releaseParts(int count) {
        for (int i = 1; i < count; i++) {
            release(parts[i]);
        }
    }

    private void release(Msg message) {
        ByteBuffer b = message.buf();
        if (b.hasArray()) {
            buffers.release(b.array());
        }
    }

    private void reject(String kind, String detail) {
        stats.rejected(kind);
        rejections.warn(kind, "sector " + sector + " rejected " + kind + " message: " + detail);
    }
}
