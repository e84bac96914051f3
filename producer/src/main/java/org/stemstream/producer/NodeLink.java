package org.stemstream.producer;

import java.util.concurrent.atomic.AtomicLong;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.security.BlockSeal;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A sector's PUSH socket to one node, the session its messages are sealed in (null: security off), and what became of
 * its connection, read from the socket's monitor. A connection that was up and went down means the node's process
 * died or its network went: blocks ZeroMQ had queued on it are gone with it, and the sender holds back what it would
 * send there until the connection is back or the routing table moves the node's frames.
 */
final class NodeLink implements AutoCloseable {
    private static final AtomicLong MONITORS = new AtomicLong();

    private final ZMQ.Socket socket;
    private final BlockSeal seal;
    private final ZMQ.Socket monitor;
    private boolean down;
    private boolean droppedUnseen;

    private NodeLink(ZMQ.Socket socket, BlockSeal seal, ZMQ.Socket monitor) {
        this.socket = socket;
        this.seal = seal;
        this.monitor = monitor;
    }

    /** Connects a PUSH socket to the node's port for {@code sector}, watching its connection from the start. */
    static NodeLink open(ZContext context, RoutingTable.Endpoint endpoint, int sector, SenderSettings settings,
                         int sendTimeoutMillis, BlockSeal seal) {
        ZMQ.Socket socket = context.createSocket(SocketType.PUSH);
        socket.setSndHWM(settings.sendHighWaterMark());
        socket.setSendTimeOut(sendTimeoutMillis);
        socket.setLinger(settings.lingerMillis());
        socket.setImmediate(!settings.direct());
        String address = "inproc://stemstream-link-" + MONITORS.incrementAndGet();
        socket.monitor(address, ZMQ.EVENT_CONNECTED | ZMQ.EVENT_DISCONNECTED);
        ZMQ.Socket monitor = context.createSocket(SocketType.PAIR);
        monitor.connect(address);
        socket.connect(endpoint.sector(sector));
        return new NodeLink(socket, seal, monitor);
    }

    ZMQ.Socket socket() {
        return socket;
    }

    BlockSeal seal() {
        return seal;
    }

    /** Whether the connection went down after it was up, and is not back yet. */
    boolean down() {
        readEvents();
        return down;
    }

    /** Whether the connection dropped since the last call: what was queued on it did not all arrive. */
    boolean droppedSinceLastAsked() {
        readEvents();
        boolean dropped = droppedUnseen;
        droppedUnseen = false;
        return dropped;
    }

    private void readEvents() {
        for (ZMQ.Event event = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT); event != null;
             event = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT)) {
            if (event.getEvent() == ZMQ.EVENT_CONNECTED) {
                down = false;
            } else if (event.getEvent() == ZMQ.EVENT_DISCONNECTED) {
                down = true;
                droppedUnseen = true;
            }
        }
    }

    void close(int lingerMillis) {
        socket.setLinger(lingerMillis);
        close();
    }

    @Override
    public void close() {
        socket.close();
        monitor.close();
    }
}
