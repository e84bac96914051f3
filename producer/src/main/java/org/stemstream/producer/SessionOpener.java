package org.stemstream.producer;

import java.nio.charset.StandardCharsets;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.security.BlockSeal;
import org.stemstream.protocol.security.ProducerKey;
import org.stemstream.protocol.security.SessionHandshake;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** Opens a producer's authenticated session with a node, on the node's routing socket ({@link SessionHandshake}). */
final class SessionOpener {
    private SessionOpener() {
    }

    /**
     * The session's seal, or null when the node does not answer within {@code timeoutMillis}.
     *
     * @throws SessionRefused when the node refuses the session, or cannot prove it holds the producer key
     */
    static BlockSeal open(ZContext context, RoutingTable.Endpoint node, int sector, ProducerKey key,
                          int timeoutMillis) {
        String address = node.host() + ":" + (node.port() + 4);
        SessionHandshake.Hello hello = SessionHandshake.Hello.fresh(sector);
        ZMQ.Socket socket = context.createSocket(SocketType.REQ);
        try {
            socket.setLinger(0);
            socket.setSendTimeOut(timeoutMillis);
            socket.setReceiveTimeOut(timeoutMillis);
            Connections.connect(socket, "tcp://" + address);
            byte[] reply = socket.send(hello.encode(), 0) ? socket.recv(0) : null;
            if (reply == null) {
                return null;
            }
            if (!SessionHandshake.Welcome.isOne(reply)) {
                throw new SessionRefused("sector " + sector + ": the node at " + address + " refused a producer"
                        + " session: " + new String(reply, StandardCharsets.UTF_8).strip());
            }
            return new BlockSeal(SessionHandshake.accept(key, hello, SessionHandshake.Welcome.decode(reply)));
        } catch (IllegalArgumentException e) {
            throw new SessionRefused("sector " + sector + ": the node at " + address + " gave no valid session: "
                    + e.getMessage());
        } finally {
            socket.close();
        }
    }
}
