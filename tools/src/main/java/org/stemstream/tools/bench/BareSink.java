package org.stemstream.tools.bench;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;
import zmq.Msg;
import zmq.ZError;

/**
 * The baseline for the streaming benchmark: four PULL sockets that receive the detector's messages and throw them
 * away, with the node's socket settings: the most bare JeroMQ can move on this machine.
 *
 * <p>Each socket belongs to its own thread from the moment the thread starts: only that thread receives on it and
 * closes it. {@link #close} terminates the context, which ends the threads' blocking receives with ETERM; each thread
 * then closes its socket, and the termination returns once all four are closed.
 */
public final class BareSink implements AutoCloseable {
    /** As many I/O threads as a node has by default: one per sector socket. */
    private final ZMQ.Context context = ZMQ.context(4);
    private final CountDownLatch ended = new CountDownLatch(SECTORS);
    private final AtomicLong messages = new AtomicLong();
    private volatile long lastEndNanos;
    private volatile boolean closing;

    public BareSink(String host, int port, int receiveHighWaterMark) {
        // JeroMQ's I/O threads can meet the race described at closeSocket too, and print it as a notice: not then.
        context.setNotificationExceptionHandler((thread, e) -> {
            if (!terminationRace(e)) {
                e.printStackTrace();
            }
        });
        for (int s = 0; s < SECTORS; s++) {
            ZMQ.Socket socket = context.socket(SocketType.PULL);
            try {
                socket.setRcvHWM(receiveHighWaterMark);
                socket.setLinger(0);
                socket.setAffinity(1L << s); // one I/O thread per sector, as the node's receivers
                socket.bind("tcp://" + host + ":" + (port + s));
            } catch (RuntimeException e) {
                socket.close();
                close();
                throw e;
            }
            Thread t = new Thread(() -> drain(socket), "bare-sink-" + s);
            t.setDaemon(true);
            t.start();
        }
    }

    private void drain(ZMQ.Socket socket) {
        try {
            drainUntilTerminated(socket);
        } catch (ZMQException e) {
            if (e.getErrorCode() != ZError.ETERM) {
                throw e;
            }
            // the context was terminated: the benchmark is over
        } catch (ClosedSelectorException e) {
            if (!closing) {
                throw e;
            }
            // JeroMQ's other way of saying the context was terminated during a receive
        } finally {
            closeSocket(socket);
        }
    }

    private void drainUntilTerminated(ZMQ.Socket socket) {
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

    /**
     * Closes the socket from its own thread. Closing hands the socket to the context's reaper; when the context is
     * terminating, the reaper can take it and the termination finish before this call has signalled it (a race inside
     * JeroMQ), which then fails on the closed channel: the socket is closed all the same.
     */
    private void closeSocket(ZMQ.Socket socket) {
        try {
            socket.close();
        } catch (ZError.IOException e) {
            if (!terminationRace(e)) {
                throw e;
            }
        }
    }

    private boolean terminationRace(Throwable e) {
        return closing && e instanceof ZError.IOException && e.getCause() instanceof ClosedChannelException;
    }

    /**
     * A sink in a JVM of its own, for CPU measurements: binds at {@code 127.0.0.1:PORT..PORT+3}, says "bound", and
     * once the four ends of scan came prints the process's CPU time ({@code cpu_ns=N}) and exits.
     */
    public static void main(String[] args) throws InterruptedException {
        // a benchmark that is stopped takes its sink with it
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(1)));
        try (BareSink sink = new BareSink("127.0.0.1", Integer.parseInt(args[0]), 16)) {
            System.out.println("bound");
            sink.awaitEnds();
            long cpu = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
            System.out.println("cpu_ns=" + cpu);
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

    /** Terminates the context: returns once every thread has closed its socket. */
    @Override
    public void close() {
        closing = true;
        context.term();
    }
}
