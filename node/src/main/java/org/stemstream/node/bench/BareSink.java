package org.stemstream.node.bench;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import zmq.Msg;

/**
 * The baseline for the streaming benchmark: four PULL sockets that receive the detector's messages and throw them
 * away, with the node's socket settings: the most bare JeroMQ can move on this machine.
 */
public final class BareSink implements AutoCloseable {
    private final ZContext context = new ZContext(1);
    private final CountDownLatch ended = new CountDownLatch(SECTORS);
    private final AtomicLong messages = new AtomicLong();
    private volatile long lastEndNanos;

    public BareSink(String host, int port, int receiveHighWaterMark) {
        for (int s = 0; s < SECTORS; s++) {
            ZMQ.Socket socket = context.createSocket(SocketType.PULL);
            socket.setRcvHWM(receiveHighWaterMark);
            socket.bind("tcp://" + host + ":" + (port + s));
            Thread t = new Thread(() -> drain(socket), "bare-sink-" + s);
            t.setDaemon(true);
            t.start();
        }
    }

    private void drain(ZMQ.Socket socket) {
        try {
            drainUntilClosed(socket);
        } catch (org.zeromq.ZMQException closed) {
            // the context was closed: the benchmark is over
        }
    }

    private void drainUntilClosed(ZMQ.Socket socket) {
        while (true) {
            Msg first = socket.recvMsg(0);
            if (first == null) {
                return;
            }
            boolean more = first.hasMore();
            while (more) {
                Msg part = socket.recvMsg(0);
                more = part != null && part.hasMore();
            }
            messages.incrementAndGet();
            if (!first.hasMore()) { // the one-part end of scan
                lastEndNanos = System.nanoTime();
                ended.countDown();
            }
        }
    }

    /** Waits for the four ends of scan; returns when the last one arrived. */
    public long awaitEnds() throws InterruptedException {
        ended.await();
        return lastEndNanos;
    }

    public long messages() {
        return messages.get();
    }

    @Override
    public void close() {
        context.close();
    }
}
