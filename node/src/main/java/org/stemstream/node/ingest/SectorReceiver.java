package org.stemstream.node.ingest;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;
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

    private final int sector;
    private final ZContext context;
    private final ZMQ.Socket socket;
    /** ZeroMQ's events of the socket: producers connecting and disconnecting. */
    private final ZMQ.Socket monitor;
    private final SectorBuffers buffers;
    private final SectorStats stats;
    private final RateLimitedLog rejections = new RateLimitedLog(LOG, 5_000);
    private final Semaphore demand = new Semaphore(0);
    private volatile boolean running = true;
    private Thread thread;

    public SectorReceiver(ZContext context, int sector, String endpoint, int receiveHighWaterMark,
                          SectorBuffers buffers, SectorStats stats) {
        this.sector = sector;
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
        if (!first.hasMore()) {
            return endOfScan(first);
        }
        Msg second = socket.recvMsg(0);
        if (second == null) {
            reject("malformed", "a message ended after its first part");
            return null;
        }
        if (second.hasMore()) {
            int parts = 2;
            for (Msg more = second; more != null && more.hasMore(); more = socket.recvMsg(0)) {
                parts++;
            }
            release(second);
            reject("malformed", "a " + parts + "-part message (a block has 2 parts, an end-of-scan 1)");
            return null;
        }
        if (first.size() != BlockHeader.BYTES || second.size() != SECTOR_BYTES) {
            release(second);
            reject("malformed", "a 2-part message of " + first.size() + " + " + second.size() + " bytes (a block is "
                    + BlockHeader.BYTES + " + " + SECTOR_BYTES + ")");
            return null;
        }
        BlockHeader header = BlockHeader.read(first.buf());
        byte[] payload = payload(second);
        stats.received(BlockHeader.BYTES + SECTOR_BYTES);
        return new SectorMessage.Block(sector, header, payload);
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
     * The pooled array JeroMQ decoded into: the socket's allocator gives every sector-sized message one, whole, so
     * {@link Msg#data()} hands it over without a copy.
     */
    private static byte[] payload(Msg message) {
        return message.data();
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
