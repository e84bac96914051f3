package org.stemstream.producer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.stemstream.protocol.cluster.RoutingTable;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A producer's view of the cluster's routing table: fetched from a node's routing socket (port + 4), from the node
 * that answered last (at first the contact node) and from any node of the last table when that one does not answer,
 * so a dead contact costs one timeout, not one per fetch. One per producer thread.
 */
final class RoutingClient implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 1_000;

    private final ZContext context;
    /**
     * What the producer asks: "route sealed" when it seals its messages, as nodes with security on require, and
     * "route sealed encrypted" when it also encrypts their pixels.
     */
    private final byte[] request;
    private final Set<String> contacts = new LinkedHashSet<>();
    private ZMQ.Socket socket;
    private String connected;
    /** The contact that gave the last table: asked first. */
    private String answered;

    RoutingClient(ZContext context, String host, int port, boolean sealed, boolean encrypted) {
        this.context = context;
        this.request = (encrypted ? "route sealed encrypted" : sealed ? "route sealed" : "route")
                .getBytes(StandardCharsets.US_ASCII);
        contacts.add(host + ":" + port);
    }

    /**
     * The newest table any contact gives, or null when none answers (or none has a table yet) before the deadline;
     * each contact gets at most {@value #TIMEOUT_MILLIS} ms of it.
     *
     * @throws SessionRefused when a node refuses a producer that does not seal its messages
     */
    RoutingTable fetch(Deadline deadline) {
        List<String> order = new ArrayList<>(contacts);
        if (answered != null && order.remove(answered)) {
            order.add(0, answered);
        }
        for (String contact : order) {
            if (deadline.passed()) {
                return null;
            }
            RoutingTable table = ask(contact, deadline.slice(TIMEOUT_MILLIS));
            if (table != null) {
                table.endpoints().forEach(e -> contacts.add(e.host() + ":" + e.port()));
                answered = contact;
                return table;
            }
        }
        return null;
    }

    private RoutingTable ask(String contact, int timeoutMillis) {
        if (!contact.equals(connected)) {
            reset();
            String[] hostPort = contact.split(":");
            socket = context.createSocket(SocketType.REQ);
            socket.setLinger(0);
            Connections.connect(socket, "tcp://" + hostPort[0] + ":" + (Integer.parseInt(hostPort[1]) + 4));
            connected = contact;
        }
        socket.setReceiveTimeOut(timeoutMillis);
        socket.setSendTimeOut(timeoutMillis);
        byte[] reply = socket.send(request, 0) ? socket.recv(0) : null;
        if (reply == null) {
            reset(); // a REQ socket that missed its reply cannot ask again
            return null;
        }
        String text = new String(reply, StandardCharsets.UTF_8);
        if (text.startsWith("stemstream-error ")) {
            throw new SessionRefused("the node at " + contact + " refused the routing table: "
                    + text.substring("stemstream-error ".length()).strip());
        }
        return text.startsWith("stemstream-routing none") ? null : RoutingTable.decode(reply);
    }

    private void reset() {
        if (socket != null) {
            // close, not the context's destroySocket: that would impose the context's linger on an unanswered request
            socket.close();
            socket = null;
            connected = null;
        }
    }

    List<String> contacts() {
        return new ArrayList<>(contacts);
    }

    @Override
    public void close() {
        reset();
    }
}
