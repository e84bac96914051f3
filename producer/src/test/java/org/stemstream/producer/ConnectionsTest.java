package org.stemstream.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** Connections made as a producer makes them each deliver, although JeroMQ leaves some with no handshake. */
class ConnectionsTest {
    private static final int CONNECTIONS = 200;

    @Test
    void everyNewConnectionDeliversItsFirstMessage() {
        List<Integer> lost = new ArrayList<>();
        try (ZContext node = new ZContext(1)) {
            ZMQ.Socket pull = node.createSocket(SocketType.PULL);
            pull.setReceiveTimeOut(5_000); // five handshake intervals: a connection stuck for good never delivers
            int port = pull.bindToRandomPort("tcp://127.0.0.1");
            for (int i = 0; i < CONNECTIONS; i++) {
                try (ZContext producer = new ZContext(1)) { // a fresh context each time, as a detector run has
                    ZMQ.Socket push = producer.createSocket(SocketType.PUSH);
                    Connections.connect(push, "tcp://127.0.0.1:" + port);
                    push.send(new byte[] {(byte) i}, 0);
                    byte[] received = pull.recv(0);
                    if (received == null || received[0] != (byte) i) {
                        lost.add(i);
                    }
                }
            }
        }
        // without the handshake interval, 15 to 20 connections in 400 delivered nothing (docs/benchmarks.md)
        assertEquals(List.of(), lost, "connections that delivered nothing within 5 s");
    }
}
