package org.stemstream.node;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.stream.javadsl.Source;
import org.stemstream.kernel.KernelWarmUp;
import org.stemstream.node.coordinator.LocalListeners;
import org.stemstream.node.coordinator.ScanCoordinator;
import org.stemstream.node.coordinator.SectorEntity;
import org.stemstream.node.counting.FrameListener;
import org.stemstream.node.http.NodeHttp;
import org.stemstream.node.ingest.IngestPipeline;
import org.stemstream.node.ingest.SectorBuffers;
import org.stemstream.node.ingest.SectorIngress;
import org.stemstream.node.ingest.SectorMessage;
import org.stemstream.node.ingest.SectorReceiver;
import org.stemstream.node.ingest.SectorStats;
import org.stemstream.node.metrics.NodeMetrics;
import org.stemstream.node.nodehost.Acknowledgements;
import org.stemstream.node.nodehost.CountingWorker;
import org.stemstream.node.nodehost.Gateway;
import org.stemstream.node.nodehost.NodeHost;
import org.stemstream.node.nodehost.RoutingService;
import org.stemstream.node.security.Credentials;
import org.stemstream.node.security.ProducerSessions;
import org.stemstream.node.security.SealWarmUp;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;
import zmq.ZError;

/**
 * A running stemstream node, the composition root: a member of the Pekko cluster (a seed, or joining one), its four
 * sector ingress actors and routing socket, its host actor (which runs the node's stream), the gateway for the CLI,
 * and its share of the cluster-wide pieces: the scan coordinator singleton (with the scans' writers), the sharded
 * sector entities and counting workers.
 *
 * <p>Stopping runs Pekko's coordinated shutdown: the node announces that it leaves, keeps counting while the
 * producers switch away, ends its scans' input and waits until its frames are stored, leaves the cluster, then
 * stops its sockets (by flag, never by interrupt).
 */
public final class StemstreamNode implements AutoCloseable {
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
    /** How long {@link #close} waits for the node to stop: its hand-over and socket stops, with room to spare. */
    private static final long CLOSE_SECONDS = 90;
    private static final Logger LOG = LoggerFactory.getLogger(StemstreamNode.class);

    private final ActorSystem<Void> system;
    private final NodeSettings settings;
    private final ZContext zmq;
    private volatile boolean closingSockets;
    private final List<ActorRef<SectorIngress.Command>> ingress = new CopyOnWriteArrayList<>();
    private final SectorStats[] stats = new SectorStats[SECTORS];
    private final SectorBuffers buffers;
    private final RoutingService routing;
    private final LocalListeners listeners = new LocalListeners();
    private final CompletableFuture<ActorRef<GatewayProtocol.Command>> gateway = new CompletableFuture<>();
    private final CompletableFuture<ActorRef<NodeProtocol.Command>> host = new CompletableFuture<>();
    private final Acknowledgements acknowledgements = new Acknowledgements();
    /** TLS for remoting and HTTPS; null: security off. */
    private final Credentials credentials;

    private StemstreamNode(Config config, List<String> seeds, Credentials credentials) {
        this.settings = NodeSettings.from(config);
        this.credentials = credentials;
        if (credentials == null) {
            LOG.warn("SECURITY IS OFF: any process that reaches this node's cluster port can join the cluster or start"
                    + " and cancel scans. Fine on a laptop; elsewhere make credentials with `stemstream keys init DIR`"
                    + " and start every node and the CLI with --security DIR (docs/security.md)");
        } else {
            LOG.info("security on: remoting over TLS with mutual authentication, detector blocks only from producers"
                    + " with the producer key; credentials from {}",
                    credentials.dir());
        }
        this.buffers = new SectorBuffers(settings.bufferPool());
        warmUpKernel();
        this.zmq = new ZContext(settings.ioThreads());
        zmq.setNotificationExceptionHandler(this::zeroMqNotice);
        List<SectorReceiver> receivers = new ArrayList<>();
        ProducerSessions sessions = null;
        if (credentials != null) {
            sessions = new ProducerSessions(credentials.producerKey(), settings.encryptedBlocksOnly());
            warmUpSeals();
        }
        try {
            for (int s = 0; s < SECTORS; s++) {
                stats[s] = new SectorStats(s);
                receivers.add(new SectorReceiver(zmq, s, settings.sectorEndpoint(s), settings.receiveHighWaterMark(),
                        buffers, stats[s], sessions));
            }
            this.routing = new RoutingService(zmq, settings.routingEndpoint(), acknowledgements, sessions);
        } catch (RuntimeException e) {
            closeSockets(receivers);
            throw startFailure(e, "the detector sockets " + settings.sectorEndpoint(0) + " .. +4", "--port");
        }
        try {
            this.system = ActorSystem.create(Behaviors.setup(context -> {
                ActorSystem<?> sys = context.getSystem();
                String self = Cluster.get(sys).selfMember().address().toString();
                ActorRef<CoordinatorProtocol.Command> coordinator = ClusterSingleton.get(sys).init(SingletonActor.of(
                        ScanCoordinator.create(settings.coordinator(), listeners), "scan-coordinator"));
                SectorEntity.initSharding(sys);
                CountingWorker.initSharding(sys, coordinator, acknowledgements);
                for (SectorReceiver receiver : receivers) {
                    ingress.add(context.spawn(SectorIngress.create(receiver, stats[receiver.sector()], self,
                            SectorEntity.of(sys, receiver.sector())), "ingress-sector-" + receiver.sector()));
                }
                RoutingTable.Endpoint endpoint = new RoutingTable.Endpoint(self, settings.ingressHost(),
                        settings.ingressPort());
                Executor counting = sys.dispatchers().lookup(
                        DispatcherSelector.fromConfig("stemstream.counting-dispatcher"));
                List<Source<SectorMessage, ?>> sources = receivers.stream().<Source<SectorMessage, ?>>map(
                        SectorIngress::source).toList();
                int threads = settings.stream().countingParallelism();
                host.complete(context.spawn(NodeHost.create(coordinator, endpoint, threads, acknowledgements,
                        reports -> IngestPipeline.run(sys, sources, buffers, stats, settings.stream(), counting,
                                p -> CountingWorker.of(sys, routing.current(), p), reports)), "node-host"));
                gateway.complete(context.spawn(Gateway.create(coordinator), Gateway.NAME));
                context.spawn(routing.subscriber(self), "routing");
                return Behaviors.empty();
            }), "stemstream", withCountingThreads(config, settings.stream().countingParallelism()));
        } catch (RuntimeException e) {
            closeSockets(receivers);
            throw startFailure(e, "the cluster port " + config.getString("pekko.remote.artery.canonical.hostname")
                    + ":" + config.getInt("pekko.remote.artery.canonical.port"), "--cluster-port");
        }
        join(seeds);
        ActorRef<NodeProtocol.Command> nodeHost = host.join();
        if (settings.management()) {
            startManagement(config, receivers);
        }
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(Adapter.toClassic(system));
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "stemstream-hand-over", () ->
                AskPattern.<NodeProtocol.Command, Done>ask(nodeHost,
                        reply -> new NodeHost.Leave(settings.leaveDrain(), reply), Duration.ofSeconds(55),
                        system.scheduler()));
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "stemstream-sockets", () -> {
            closingSockets = true;
            List<CompletableFuture<Done>> stopped = ingress.stream().map(sector -> AskPattern.<SectorIngress.Command,
                    Done>ask(sector, SectorIngress.Stop::new, Duration.ofSeconds(10), system.scheduler())
                    .toCompletableFuture()).toList();
            return CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new)).handle((done, error) -> {
                routing.close();
                zmq.close();
                return Done.getInstance();
            });
        });
    }

    /**
     * Compiles the counting kernel in the background while the node starts, so that its first scan is not counted
     * by code the JIT has yet to optimise (see {@link KernelWarmUp}): about a second of one core, once per JVM.
     */
    private static void warmUpKernel() {
        Thread warmUp = new Thread(() -> {
            long start = System.nanoTime();
            if (KernelWarmUp.run(6_000)) {
                LOG.info("counting kernel compiled in {} ms", (System.nanoTime() - start) / 1_000_000);
            }
        }, "kernel-warm-up");
        warmUp.setDaemon(true);
        warmUp.setPriority(Thread.MIN_PRIORITY);
        warmUp.start();
    }

    /** In the background, as the kernel's: checking seals compiled before the first sealed block comes. */
    private static void warmUpSeals() {
        Thread warmUp = new Thread(() -> {
            long start = System.nanoTime();
            if (SealWarmUp.run(Duration.ofSeconds(20))) {
                LOG.info("seal checks compiled in {} ms", (System.nanoTime() - start) / 1_000_000);
            }
        }, "seal-warm-up");
        warmUp.setDaemon(true);
        warmUp.setPriority(Thread.MIN_PRIORITY);
        warmUp.start();
    }

    private void closeSockets(List<SectorReceiver> receivers) {
        receivers.forEach(SectorReceiver::close);
        if (routing != null) {
            routing.close();
        }
        zmq.close();
    }

    /**
     * The node serves its HTTP endpoints or does not start: a node whose management port is taken would run on
     * without the endpoints its operators and health checks look at.
     */
    private void startManagement(Config config, List<SectorReceiver> receivers) {
        try {
            NodeMetrics.get(system).watch(List.of(stats), buffers);
            NodeHttp.bind(system, gateway.join(), config.getString("pekko.management.http.hostname"),
                    config.getInt("pekko.management.http.port"), credentials)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
            closeSockets(receivers);
            throw startFailure(e, "the management port " + config.getString("pekko.management.http.hostname") + ":"
                    + config.getInt("pekko.management.http.port"), "--management-port");
        }
    }

    /** A port another process holds is the operator's to fix, said in one line; any other failure stays as it is. */
    private static RuntimeException startFailure(Throwable e, String what, String option) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || t instanceof ZMQException z && z.getErrorCode() == ZMQ.Error.EADDRINUSE.getCode()) {
                return new UncheckedIOException(new BindException("cannot bind " + what + ": the address is in use"
                        + " (is another node running here? choose other ports with " + option + ")"));
            }
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException("cannot start the node: " + e, e);
    }

    /** The counting dispatcher sized to the counting parallelism (the processors available to the JVM by default). */
    private static Config withCountingThreads(Config config, int threads) {
        return ConfigFactory.parseMap(Map.of("stemstream.counting-dispatcher.thread-pool-executor.fixed-pool-size",
                threads)).withFallback(config);
    }

    /**
     * What JeroMQ's I/O threads report. While the sockets close, a listener's last acknowledgement can meet its
     * socket's already closed mailbox (the socket is closed all the same): that one is expected and not reported.
     */
    private void zeroMqNotice(Thread thread, Throwable e) {
        boolean closeRace = closingSockets && e instanceof ZError.IOException
                && e.getCause() instanceof ClosedChannelException;
        if (!closeRace) {
            LOG.warn("ZeroMQ I/O thread {}: {}", thread.getName(), e.toString());
        }
    }

    /**
     * Starts a node. {@code seeds} are {@code host:port} addresses of nodes to join; with none (and none in
     * {@code stemstream.cluster.join}) the node is a seed and joins itself.
     */
    public static StemstreamNode start(Config config, List<String> seeds) {
        List<String> join = new ArrayList<>(seeds);
        if (join.isEmpty()) {
            join.addAll(config.getStringList("stemstream.cluster.join"));
        }
        Credentials credentials = Credentials.of(config);
        return new StemstreamNode(credentials == null ? config : credentials.forNode().withFallback(config), join,
                credentials);
    }

    /** A seed node (a cluster of its own until others join). */
    public static StemstreamNode start(Config config) {
        return start(config, List.of());
    }

    private void join(List<String> seeds) {
        Cluster cluster = Cluster.get(system);
        if (seeds.isEmpty()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            return;
        }
        List<Address> addresses = seeds.stream().map(StemstreamNode::address).toList();
        cluster.manager().tell(new JoinSeedNodes(addresses));
    }

    /** {@code host:port} as the address of a stemstream node's actor system. */
    public static Address address(String hostPort) {
        String[] parts = hostPort.split(":");
        if (parts.length != 2 || parts[0].isBlank() || !parts[1].matches("\\d{1,5}")) {
            throw new IllegalArgumentException("'" + hostPort + "' is not HOST:PORT");
        }
        return AddressFromURIString.parse("pekko://stemstream@" + hostPort);
    }

    public NodeSettings settings() {
        return settings;
    }

    public SectorStats sectorStats(int sector) {
        return stats[sector];
    }

    public SectorBuffers buffers() {
        return buffers;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    /** This node's cluster address, {@code pekko://stemstream@host:port}. */
    public String address() {
        return Cluster.get(system).selfMember().address().toString();
    }

    public RoutingTable routingTable() {
        return routing.current();
    }

    /** Waits until this node's routing table deals frames over {@code nodes} nodes; false after the timeout. */
    public boolean awaitRouting(int nodes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (routing.current() == null || routing.current().endpoints().size() != nodes) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Waits until the routing table gives this node partitions: it counts. */
    public boolean awaitCounting(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (routing.current() == null || routing.current().partitionsOf(address()) == 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** The partitions whose counting workers run on this node now. */
    public CompletionStage<Set<Integer>> countingPartitionsHere() {
        return AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                        ClusterSharding.get(system).shardState(),
                        reply -> new GetShardRegionState(CountingWorker.TYPE_KEY, reply), ASK_TIMEOUT,
                        system.scheduler())
                .thenApply(state -> state.getShards().stream().map(shard -> Integer.parseInt(shard.shardId()))
                        .collect(Collectors.toSet()));
    }

    /** Starts a scan through the gateway; the listener (in this JVM only) sees its counted frames. */
    public CompletionStage<GatewayProtocol.ScanReply> startScan(ScanRequest request, FrameListener listener) {
        if (listener != null) {
            listeners.put(request.scanNumber(), listener);
        }
        return ask(reply -> new GatewayProtocol.StartScan(request, reply), ASK_TIMEOUT);
    }

    public CompletionStage<GatewayProtocol.ScanReply> status(long scanNumber) {
        return ask(reply -> new GatewayProtocol.GetScan(scanNumber, reply), ASK_TIMEOUT);
    }

    public CompletionStage<GatewayProtocol.ScanReply> cancel(long scanNumber) {
        return ask(reply -> new GatewayProtocol.CancelScan(scanNumber, reply), ASK_TIMEOUT);
    }

    /** Completes when the scan is done, failed or cancelled. */
    public CompletionStage<GatewayProtocol.ScanReply> whenFinished(long scanNumber, Duration timeout) {
        return ask(reply -> new GatewayProtocol.WhenFinished(scanNumber, reply), timeout);
    }

    public CompletionStage<org.stemstream.protocol.cluster.SectorProtocol.Health> sectorHealth(int sector) {
        return AskPattern.ask(gateway.join(), reply -> new GatewayProtocol.GetSectorHealth(sector, reply), ASK_TIMEOUT,
                system.scheduler());
    }

    public CompletionStage<GatewayProtocol.Members> members() {
        return AskPattern.ask(gateway.join(), GatewayProtocol.GetMembers::new, ASK_TIMEOUT, system.scheduler());
    }

    /** The scan's current view, or an exception with the cluster's reason. */
    public ScanView statusNow(long scanNumber) {
        GatewayProtocol.ScanReply reply = status(scanNumber).toCompletableFuture().join();
        if (reply instanceof GatewayProtocol.ScanFound found) {
            return found.view();
        }
        throw new IllegalArgumentException(((GatewayProtocol.ScanRefused) reply).reason());
    }

    private CompletionStage<GatewayProtocol.ScanReply> ask(
            org.apache.pekko.japi.function.Function<ActorRef<GatewayProtocol.ScanReply>, GatewayProtocol.Command> make,
            Duration timeout) {
        return AskPattern.ask(gateway.join(), make::apply, timeout, system.scheduler());
    }

    /**
     * Leaves the cluster gracefully (see the class comment) and stops. The last member has no one to hand over to:
     * it takes itself down rather than wait for a leave that nobody can acknowledge. A node that never got in (its
     * seed refused it, say) has no cluster to leave, and just stops.
     */
    @Override
    public void close() {
        Cluster cluster = Cluster.get(system);
        List<Member> members = java.util.stream.StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
                .toList();
        Address self = cluster.selfMember().address();
        boolean alone = members.stream().anyMatch(m -> m.address().equals(self))
                && members.stream().allMatch(m -> m.address().equals(self));
        if (alone) {
            cluster.manager().tell(new org.apache.pekko.cluster.typed.Down(cluster.selfMember().address()));
        } else {
            system.terminate();
        }
        try {
            // the hand-over (at most 55 s) and the sockets' stop come first; a stop that never ends is an error, not
            // a hang of whoever closes the node
            system.getWhenTerminated().toCompletableFuture().get(CLOSE_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("node " + self + " did not stop within " + CLOSE_SECONDS
                    + " s: its actor system has not terminated", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("node " + self + " failed to stop", e.getCause());
        }
    }
}
