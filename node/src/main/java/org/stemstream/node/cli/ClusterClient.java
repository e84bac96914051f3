package org.stemstream.node.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.nodehost.Gateway;
import org.stemstream.node.security.Credentials;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanView;

/**
 * The actor CLI's side: a short-lived actor system with plain remoting (it never joins the cluster, so it never
 * triggers a rebalance) that finds a node's gateway at {@code pekko://stemstream@HOST:PORT/user/gateway} and asks
 * it typed questions. No answer within the timeout is a clear error, never a hang.
 */
public final class ClusterClient implements AutoCloseable {
    private final ActorSystem<Void> system;
    private final ActorRef<GatewayProtocol.Command> gateway;
    private final String contact;
    private final Duration timeout;

    private ClusterClient(ActorSystem<Void> system, ActorRef<GatewayProtocol.Command> gateway, String contact,
                          Duration timeout) {
        this.system = system;
        this.gateway = gateway;
        this.contact = contact;
        this.timeout = timeout;
    }

    public static ClusterClient connect(String contact, Duration timeout) {
        return connect(contact, timeout, null);
    }

    /** @param credentials to reach a secured cluster (TLS with the CLI's certificate), or null */
    public static ClusterClient connect(String contact, Duration timeout, Credentials credentials) {
        StemstreamNode.address(contact); // a clear error for a malformed address
        String[] hostPort = contact.split(":");
        Config config = ConfigFactory.parseMap(Map.of(
                "pekko.actor.provider", "remote",
                "pekko.remote.artery.canonical.hostname", localAddressTowards(hostPort[0], Integer.parseInt(hostPort[1])),
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "ERROR",
                "pekko.log-dead-letters", "off",
                "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off"))
                .withFallback(credentials == null ? ConfigFactory.empty() : credentials.forCli())
                .withFallback(ConfigFactory.load());
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "stemstream-cli", config);
        try {
            ActorSelection selection = Adapter.toClassic(system)
                    .actorSelection("pekko://stemstream@" + contact + "/user/" + Gateway.NAME);
            org.apache.pekko.actor.ActorRef classic = selection.resolveOne(timeout).toCompletableFuture().join();
            return new ClusterClient(system, Adapter.toTyped(classic), contact, timeout);
        } catch (CompletionException e) {
            system.terminate();
            throw new IllegalArgumentException("no stemstream node answers at " + contact + " within "
                    + timeout.toSeconds() + " s (is it running, is that its cluster port, and "
                    + (credentials == null ? "is it secured? then give --security DIR)"
                            : "does it trust the CA of " + credentials.dir() + "?)"));
        }
    }

    /** The address of this machine's interface that reaches the contact, so its replies find their way back. */
    private static String localAddressTowards(String host, int port) {
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(new InetSocketAddress(InetAddress.getByName(host), port));
            return probe.getLocalAddress().getHostAddress();
        } catch (Exception e) {
            return "127.0.0.1";
        }
    }

    /** No answer came within the ask timeout: the question may still have taken effect. */
    public static final class NoAnswer extends IllegalArgumentException {
        NoAnswer(String message) {
            super(message);
        }
    }

    public GatewayProtocol.ScanReply start(org.stemstream.protocol.cluster.ScanRequest request) {
        return ask(reply -> new GatewayProtocol.StartScan(request, reply));
    }

    public ScanView status(long scanNumber) {
        GatewayProtocol.ScanReply reply = ask(r -> new GatewayProtocol.GetScan(scanNumber, r));
        if (reply instanceof GatewayProtocol.ScanFound found) {
            return found.view();
        }
        throw new IllegalArgumentException(((GatewayProtocol.ScanRefused) reply).reason());
    }

    public GatewayProtocol.ScanReply cancel(long scanNumber) {
        return ask(reply -> new GatewayProtocol.CancelScan(scanNumber, reply));
    }

    public GatewayProtocol.ScanList list() {
        return ask(GatewayProtocol.ListScans::new);
    }

    public org.stemstream.protocol.cluster.SectorProtocol.Health sectorHealth(int sector) {
        return ask(reply -> new GatewayProtocol.GetSectorHealth(sector, reply));
    }

    public GatewayProtocol.Partitions partitions() {
        return ask(GatewayProtocol.GetPartitions::new);
    }

    public GatewayProtocol.Members members() {
        return ask(GatewayProtocol.GetMembers::new);
    }

    private <T> T ask(org.apache.pekko.japi.function.Function<ActorRef<T>, GatewayProtocol.Command> make) {
        try {
            return AskPattern.ask(gateway, make::apply, timeout, system.scheduler()).toCompletableFuture().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw new NoAnswer("the cluster at " + contact + " did not answer within " + timeout.toSeconds()
                        + " s");
            }
            throw e;
        }
    }

    /**
     * Stops the client's actor system. Its remoting says goodbye to the node first; a node that does not answer
     * (one that went away, or a TLS session that was torn down) must not hold the command up, so this waits 10 s at
     * most.
     */
    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            // the command is done; its process ends
        }
    }
}
