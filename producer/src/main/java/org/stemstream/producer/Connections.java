package org.stemstream.producer;

import org.zeromq.ZMQ;

/** How every socket that connects to a node connects. */
public final class Connections {
    /**
     * JeroMQ 0.6.0 leaves a few connections in a hundred (on loopback; docs/benchmarks.md) with their handshake never
     * started: the node's greeting sits unread and nothing is sent, for good. A handshake not done within this is
     * dropped and the connection made again; over a network one takes milliseconds.
     */
    public static final int HANDSHAKE_MILLIS = 1_000;

    private Connections() {
    }

    /** Connects the socket to the endpoint, remaking a connection whose handshake does not finish in time. */
    public static void connect(ZMQ.Socket socket, String endpoint) {
        socket.setHandshakeIvl(HANDSHAKE_MILLIS);
        socket.connect(endpoint);
    }
}
