package org.stemstream.producer;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.stemstream.protocol.StoredFrames;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.security.BlockSeal;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Asks nodes which frames are stored, without ever waiting on one: a DEALER socket per node's routing socket, a
 * request sent when the last was answered (or is long overdue), answers taken as they come. A node that is gone
 * simply never answers: one whose answer has been due for {@value #SILENCE_MILLIS} ms is silent, and its producers
 * hold its blocks back instead of waiting on it. A node's routing socket has a thread of its own, so a live node
 * answers within milliseconds even while its stream applies backpressure; only a stopped, dead or cut-off node (or a
 * pause of its whole JVM) goes silent.
 */
final class AckClient implements AutoCloseable {
    private static final long OVERDUE_NANOS = 1_000_000_000L;
    static final long SILENCE_MILLIS = 1_000;

    private final ZContext context;
    private final Map<RoutingTable.Endpoint, Asked> nodes = new HashMap<>();
    private long forged;

    private static final class Asked {
        final ZMQ.Socket socket;
        long askedNanos;
        boolean waiting;
        /** The node's last word on the scan: whether it still takes its frames. */
        boolean open = true;
        boolean answered;
        /** When the first question since the node's last answer was asked (or tried); 0 while none is due. */
        long unansweredSinceNanos;
        /** Security on: the session's seal, and the challenge the question due was asked with. */
        BlockSeal seal;
        byte[] challenge;

        Asked(ZMQ.Socket socket) {
            this.socket = socket;
        }
    }

    AckClient(ZContext context) {
        this.context = context;
    }

    /**
     * Sends the request to a node, unless its answer to the last one is still due. With a session's seal (security
     * on) the request carries a fresh challenge, and only an answer sealed for it is taken.
     */
    void ask(RoutingTable.Endpoint node, StoredFrames.Request request, BlockSeal seal) {
        Asked asked = nodes.computeIfAbsent(node, this::connect);
        long now = System.nanoTime();
        if (asked.unansweredSinceNanos == 0) {
            asked.unansweredSinceNanos = now;
        }
        if (asked.waiting && now - asked.askedNanos < OVERDUE_NANOS) {
            return;
        }
        asked.seal = seal;
        asked.challenge = seal == null ? null : seal.challenge();
        boolean sent = asked.socket.send(new byte[0], ZMQ.SNDMORE | ZMQ.DONTWAIT) && (seal == null
                ? asked.socket.send(request.encode(), ZMQ.DONTWAIT)
                : asked.socket.send(request.encode(), ZMQ.SNDMORE | ZMQ.DONTWAIT)
                && asked.socket.send(asked.challenge, ZMQ.DONTWAIT));
        if (sent) {
            asked.waiting = true;
            asked.askedNanos = now;
        }
    }

    /** Hands every answer that has arrived to {@code answers}; returns how many. */
    int collect(long scanNumber, Consumer<StoredFrames> answers) {
        int n = 0;
        for (Asked asked : nodes.values()) {
            if (!asked.waiting) {
                continue; // nothing is due from it: no need to look
            }
            byte[] delimiter;
            while ((delimiter = asked.socket.recv(ZMQ.DONTWAIT)) != null) {
                byte[] header = asked.socket.hasReceiveMore() ? asked.socket.recv(0) : delimiter;
                byte[] bitmap = asked.socket.hasReceiveMore() ? asked.socket.recv(0) : null;
                byte[] seal = asked.socket.hasReceiveMore() ? asked.socket.recv(0) : null;
                while (asked.socket.hasReceiveMore()) {
                    asked.socket.recv(0);
                }
                asked.waiting = false;
                asked.unansweredSinceNanos = 0; // whatever it says, it is there
                if (bitmap == null || !StoredFrames.isOne(header)) {
                    continue; // an error answer: the request was refused, the next one asks again
                }
                if (asked.seal != null && !asked.seal.answerMatches(asked.challenge, new byte[][] {header, bitmap},
                        seal)) {
                    forged++;
                    continue; // not the node's answer to this question: the frames stay kept
                }
                StoredFrames stored;
                try {
                    stored = StoredFrames.decode(header, bitmap);
                } catch (IllegalArgumentException e) {
                    continue; // not an answer to trust: the frames stay kept
                }
                if (stored.scanNumber() == scanNumber) {
                    asked.open = stored.open();
                    asked.answered = true;
                    answers.accept(stored);
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Whether the node has left a question unanswered for {@value #SILENCE_MILLIS} ms (a node never asked is not
     * silent).
     */
    boolean silent(RoutingTable.Endpoint node) {
        Asked asked = nodes.get(node);
        return asked != null && asked.unansweredSinceNanos != 0
                && System.nanoTime() - asked.unansweredSinceNanos > SILENCE_MILLIS * 1_000_000;
    }

    /** Answers refused because their seal did not match the question (security on): forged, or stale. */
    long forged() {
        return forged;
    }

    /** Whether every one of these nodes has answered, and each said it takes no more of the scan's frames. */
    boolean allClosed(Iterable<RoutingTable.Endpoint> among) {
        for (RoutingTable.Endpoint node : among) {
            Asked asked = nodes.get(node);
            if (asked == null || !asked.answered || asked.open) {
                return false;
            }
        }
        return true;
    }

    private Asked connect(RoutingTable.Endpoint node) {
        ZMQ.Socket socket = context.createSocket(SocketType.DEALER);
        socket.setLinger(0);
        socket.setSndHWM(4);
        socket.setSendTimeOut(0);
        socket.setImmediate(true); // nothing queues for a node that is not connected
        Connections.connect(socket, "tcp://" + node.host() + ":" + (node.port() + 4));
        return new Asked(socket);
    }

    @Override
    public void close() {
        nodes.values().forEach(asked -> asked.socket.close());
        nodes.clear();
    }
}
