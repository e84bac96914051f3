package org.stemstream.producer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;
import org.stemstream.protocol.StoredFrames;
import org.stemstream.protocol.cluster.RoutingTable;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMsg;

/**
 * A node's sockets as a producer sees them, on real ZeroMQ sockets, played by a script: sector 0's PULL socket, and
 * the routing socket answering with a table the test sets and, while acknowledging, with every frame received as
 * stored.
 */
final class ScriptedNode implements AutoCloseable {
    final RoutingTable.Endpoint endpoint;
    final Set<Long> received = ConcurrentHashMap.newKeySet();
    /** The frames of the blocks received, in the order they came. */
    final List<Long> arrivals = java.util.Collections.synchronizedList(new ArrayList<>());
    final List<EndOfScan> ends = java.util.Collections.synchronizedList(new ArrayList<>());
    private final java.util.concurrent.CountDownLatch endArrived = new java.util.concurrent.CountDownLatch(1);
    volatile boolean acknowledging = true;
    /** While set, the node neither reads nor answers anything (a stopped process), until it is counted down. */
    private volatile java.util.concurrent.CountDownLatch stopped;
    private final AtomicReference<RoutingTable> table;
    private final ZContext context = new ZContext(1);
    private final ZMQ.Socket sector;
    private final ZMQ.Socket routing;
    private final Thread thread;
    private volatile boolean running = true;

    ScriptedNode(String name, AtomicReference<RoutingTable> table) {
        this.table = table;
        int port = 0;
        ZMQ.Socket pull = null;
        ZMQ.Socket router = null;
        for (int tries = 0; router == null; tries++) { // a port and the one 4 above it, both free
            port = 20_000 + (int) (Math.random() * 40_000);
            pull = context.createSocket(SocketType.PULL);
            pull.setRcvHWM(8); // a node that stops reading soon makes its producers wait, as a real one does
            router = context.createSocket(SocketType.ROUTER);
            try {
                pull.bind("tcp://127.0.0.1:" + port);
                router.bind("tcp://127.0.0.1:" + (port + 4));
            } catch (RuntimeException taken) {
                pull.close();
                router.close();
                router = null;
                if (tries > 50) {
                    throw taken;
                }
            }
        }
        this.sector = pull;
        this.routing = router;
        this.endpoint = new RoutingTable.Endpoint(name, "127.0.0.1", port);
        this.thread = new Thread(this::serve, "scripted-" + name);
        thread.start();
    }

    private void serve() {
        ZMQ.Poller poller = context.createPoller(2);
        poller.register(sector, ZMQ.Poller.POLLIN);
        poller.register(routing, ZMQ.Poller.POLLIN);
        while (running) {
            java.util.concurrent.CountDownLatch stop = stopped;
            if (stop != null) {
                try {
                    stop.await();
                } catch (InterruptedException e) {
                    break;
                }
            }
            if (poller.poll(50) <= 0) {
                continue;
            }
            if (poller.pollin(0)) {
                ZMsg message = ZMsg.recvMsg(sector);
                if (message.size() == 2) {
                    long frame = BlockHeader.read(ByteBuffer.wrap(message.getFirst().getData())
                            .order(ByteOrder.LITTLE_ENDIAN)).frameNumber();
                    arrivals.add(frame);
                    received.add(frame);
                    synchronized (this) {
                        notifyAll();
                    }
                } else {
                    byte[] end = message.getFirst().getData();
                    ends.add(EndOfScan.parse(end, end.length));
                    endArrived.countDown();
                }
            }
            if (poller.pollin(1)) {
                ZMsg request = ZMsg.recvMsg(routing);
                ZMsg reply = new ZMsg();
                reply.add(request.pop());
                reply.add(request.pop());
                byte[] question = request.pop().getData();
                if (StoredFrames.Request.isOne(question)) {
                    StoredFrames.Request r = StoredFrames.Request.decode(question);
                    BitSet stored = new BitSet();
                    if (acknowledging) {
                        for (long f = r.from(); f < r.to(); f++) {
                            stored.set((int) (f - r.from()), received.contains(f));
                        }
                    }
                    for (byte[] part : new StoredFrames(r.scanNumber(), true, r.from(), stored).encode()) {
                        reply.add(part);
                    }
                } else {
                    reply.add(table.get().encode());
                }
                reply.send(routing);
            }
        }
        poller.close();
    }

    /** Whether {@code count} blocks have arrived within 5 s. */
    synchronized boolean awaitReceived(int count) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (received.size() < count) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** The first end of scan that arrived, once it has (within 5 s: it travels after the sender's last call). */
    EndOfScan firstEnd() throws InterruptedException {
        endArrived.await(5, java.util.concurrent.TimeUnit.SECONDS);
        return ends.get(0);
    }

    /** The node stops reading and answering, its connections kept open (as {@code kill -STOP}). */
    void stop() {
        stopped = new java.util.concurrent.CountDownLatch(1);
    }

    /** A stopped node goes on. */
    void resume() {
        java.util.concurrent.CountDownLatch stop = stopped;
        stopped = null;
        if (stop != null) {
            stop.countDown();
        }
    }

    /** Stops the node, its sockets closed (and so its connections); once only. */
    @Override
    public synchronized void close() throws InterruptedException {
        if (running) {
            running = false;
            resume();
            thread.join(2_000);
            context.close();
        }
    }
}
