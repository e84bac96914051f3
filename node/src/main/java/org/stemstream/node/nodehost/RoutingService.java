package org.stemstream.node.nodehost;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stemstream.node.coordinator.ScanCoordinator;
import org.stemstream.node.security.ProducerSessions;
import org.stemstream.protocol.StoredFrames;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.security.SessionHandshake;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZFrame;
import org.zeromq.ZMsg;

/**
 * Serves the detector's producers, which are outside the cluster, on the node's routing socket
 * ({@code tcp://host:port+4}, a ZeroMQ ROUTER socket, asked by REQ or DEALER sockets): a stored-frames request is
 * answered from the node's {@link Acknowledgements} (with security on, sealed for the challenge it came with), a
 * producer's hello by opening an authenticated session when the node has security on ({@link ProducerSessions}), any
 * other request with the routing table's text form (every node keeps the latest table from Distributed Data), or
 * {@code stemstream-routing none} before there is one. With security on, only {@code route sealed} (or
 * {@code route sealed encrypted}) gets the table: a producer that would send unsealed blocks, or blocks in clear to a
 * node that takes only encrypted ones, is told at once.
 */
public final class RoutingService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RoutingService.class);
    /**
     * The routing requests of a producer that seals its messages, and of one that also encrypts its pixels: the only
     * ones a node with security on answers (the second only, when it takes only encrypted blocks).
     */
    private static final byte[] SEALED_ROUTE = "route sealed".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ENCRYPTED_ROUTE = "route sealed encrypted".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NONE = "stemstream-routing none\n".getBytes(StandardCharsets.UTF_8);

    private final AtomicReference<RoutingTable> current = new AtomicReference<>();
    private final Acknowledgements acknowledgements;
    /** Null: security off, and producers' blocks are taken without sessions. */
    private final ProducerSessions sessions;
    private final ZContext context;
    private final ZMQ.Socket socket;
    private final Thread thread;
    private volatile boolean running = true;

    private long rejected;
    private long lastRejectionLogNanos;

    public RoutingService(ZContext context, String endpoint, Acknowledgements acknowledgements,
                          ProducerSessions sessions) {
        this.context = context;
        this.acknowledgements = acknowledgements;
        this.sessions = sessions;
        // ROUTER, not REP: each request is answered on its own, so a peer that sends garbage or vanishes mid-request
        // never holds up the next producer's question
        this.socket = context.createSocket(SocketType.ROUTER);
        socket.setReceiveTimeOut(100);
        socket.setLinger(0);
        socket.bind(endpoint);
        this.thread = new Thread(this::serve, "routing-socket");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * An actor that keeps {@link #current} up to date with the table in Distributed Data, and says in the log what
     * each new one gives this node ({@code self}).
     */
    public Behavior<Replicator.SubscribeResponse<LWWRegister<RoutingTable>>> subscriber(String self) {
        return Behaviors.setup(context -> {
            DistributedData.get(context.getSystem()).replicator()
                    .tell(new Replicator.Subscribe<>(ScanCoordinator.ROUTING, context.getSelf()));
            return Behaviors.receiveMessage(response -> {
                if (response instanceof Replicator.Changed<LWWRegister<RoutingTable>> changed) {
                    RoutingTable table = changed.get(ScanCoordinator.ROUTING).getValue();
                    RoutingTable before = current.getAndSet(table);
                    if (before == null || before.epoch() != table.epoch()) {
                        context.getLog().info("routing epoch {}: {} of {} partitions here, {} node(s), from frame {}",
                                table.epoch(), table.partitionsOf(self), table.partitions(), table.endpoints().size(),
                                table.effectiveFrom());
                    }
                }
                return Behaviors.same();
            });
        });
    }

    public RoutingTable current() {
        return current.get();
    }

    private void serve() {
        try {
            while (running) {
                ZMsg request = ZMsg.recvMsg(socket, 0);
                if (request == null) {
                    continue;
                }
                // a REQ client's request is [identity, empty delimiter, body]; the reply goes back the same way
                ZFrame identity = request.pop();
                ZFrame delimiter = request.pop();
                if (delimiter != null && delimiter.size() == 0 && !request.isEmpty()) {
                    ZMsg reply = new ZMsg();
                    reply.add(identity);
                    reply.add(delimiter);
                    byte[] question = request.pop().getData();
                    answer(question, request.isEmpty() ? null : request.pop().getData(), reply);
                    reply.send(socket, true);
                }
                request.destroy();
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.error("routing socket stopped", e);
            }
        } finally {
            context.destroySocket(socket);
        }
    }

    /** @param challenge a sealed question's second part (security on), or null */
    private void answer(byte[] question, byte[] challenge, ZMsg reply) {
        if (StoredFrames.Request.isOne(question)) {
            try {
                byte[][] parts = acknowledgements.answer(StoredFrames.Request.decode(question)).encode();
                byte[] seal = null;
                if (sessions != null) {
                    seal = challenge == null ? null : sessions.sealAnswer(challenge, parts);
                    if (seal == null) {
                        throw new IllegalArgumentException("a stored-frames request without the challenge of a"
                                + " session open here (security is on)");
                    }
                }
                for (byte[] part : parts) {
                    reply.add(part);
                }
                if (seal != null) {
                    reply.add(seal);
                }
            } catch (IllegalArgumentException e) {
                reject(e.getMessage());
                reply.add(("stemstream-error " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
            }
            return;
        }
        if (SessionHandshake.Hello.isOne(question)) {
            try {
                if (sessions == null) {
                    throw new IllegalArgumentException("a producer's hello, but this node has security off (start it"
                            + " with --security)");
                }
                reply.add(sessions.hello(question));
            } catch (IllegalArgumentException e) {
                reject(e.getMessage());
                reply.add(("stemstream-error " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
            }
            return;
        }
        if (sessions != null && !Arrays.equals(question, ENCRYPTED_ROUTE)
                && (sessions.encryptedOnly() || !Arrays.equals(question, SEALED_ROUTE))) {
            String why = Arrays.equals(question, SEALED_ROUTE)
                    ? "this node takes only encrypted blocks (start the producer with --encrypt)"
                    : "this node takes blocks only from producers with the deployment's producer key (start the"
                    + " producer with it: stemstream detector --security DIR)";
            reject(why);
            reply.add(("stemstream-error " + why).getBytes(StandardCharsets.UTF_8));
            return;
        }
        RoutingTable table = current.get();
        reply.add(table == null ? NONE : table.encode());
    }

    /** A request that makes no sense: counted, answered with why, logged at most once per 5 s. */
    private void reject(String why) {
        rejected++;
        if (System.nanoTime() - lastRejectionLogNanos > 5_000_000_000L) {
            lastRejectionLogNanos = System.nanoTime();
            LOG.warn("routing socket: rejected a request ({} so far): {}", rejected, why);
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
