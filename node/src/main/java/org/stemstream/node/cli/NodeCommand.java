package org.stemstream.node.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.stemstream.node.NodeConfig;
import org.stemstream.node.StemstreamNode;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stemstream node}: a cluster node that takes detector sectors over ZeroMQ and counts them. */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a cluster node: a seed (--seed) or one that joins (--join HOST:PORT).")
final class NodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seed", description = "Start a new cluster with this node as its seed (the default).")
    boolean seed;

    @Option(names = "--join", paramLabel = "HOST:PORT", split = ",",
            description = "Join the cluster of these seed nodes (their cluster host:port).")
    List<String> join = new ArrayList<>();

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (default: application.conf).")
    Path config;

    @Option(names = "--host", paramLabel = "HOST",
            description = "Address this node's sockets and cluster port bind (default: config).")
    String host;

    @Option(names = "--port", paramLabel = "PORT",
            description = "First of the 5 ports of the detector sockets (default: config).")
    Integer port;

    @Option(names = "--cluster-port", paramLabel = "PORT", description = "This node's cluster port (default: config).")
    Integer clusterPort;

    @Option(names = "--management-port", paramLabel = "PORT",
            description = "Pekko Management HTTP port (default: config).")
    Integer managementPort;

    @Option(names = "--security", paramLabel = "DIR",
            description = "Credentials made by stemstream keys init: the cluster's remoting over mutually"
                    + " authenticated TLS (default: stemstream.security.dir; none: security off).")
    Path security;

    @Option(names = "--lease-file", paramLabel = "FILE",
            description = "For a cluster of two nodes: a file every node sees (a shared filesystem); the side of a"
                    + " split that holds the lease in it lives, so either node may die (default: config).")
    Path leaseFile;

    @Mixin
    ScanOptions scan;

    @Option(names = "--exit-after-scan", description = "Stop the node once the scan given here has ended.")
    boolean exitAfterScan;

    @Option(names = "--exit-with", paramLabel = "PID",
            description = "Stop the node (as on SIGTERM) when process PID ends, even by SIGKILL: a demo or"
                    + " benchmark passes its own, so that its nodes never outlive it.")
    Long exitWith;

    @Override
    public Integer call() throws Exception {
        if (exitWith != null) {
            ParentWatch.start(exitWith); // first: the sooner it watches, the less a parent killed meanwhile goes unseen
        }
        if (seed && !join.isEmpty()) {
            throw new IllegalArgumentException("--seed starts a new cluster; it cannot go with --join");
        }
        if (exitAfterScan && !scan.given()) {
            throw new IllegalArgumentException("--exit-after-scan needs a scan (--scan-number, --scan, --output)");
        }
        join.forEach(StemstreamNode::address); // a clear error for a malformed address, before anything starts
        if (port != null) {
            OptionRange.between(spec, "--port", port, 1, 65535 - 4); // a node's 5 ports from it
        }
        if (clusterPort != null) {
            OptionRange.between(spec, "--cluster-port", clusterPort, 0, 65535);
        }
        if (managementPort != null) {
            OptionRange.between(spec, "--management-port", managementPort, 0, 65535);
        }
        if (scan.given()) {
            scan.toRequest(); // a malformed scan is refused before the node starts
            scan.counting.checkReferences();
        }
        Map<String, Object> overrides = new HashMap<>();
        if (host != null) {
            overrides.put("stemstream.ingress.host", host);
            overrides.put("pekko.remote.artery.canonical.hostname", host);
        }
        if (port != null) {
            overrides.put("stemstream.ingress.port", port);
        }
        if (clusterPort != null) {
            overrides.put("pekko.remote.artery.canonical.port", clusterPort);
        }
        if (managementPort != null) {
            overrides.put("pekko.management.http.port", managementPort);
        }
        if (security != null) {
            overrides.put("stemstream.security.dir", security.toString());
        }
        if (leaseFile != null) {
            overrides.put("stemstream.cluster.lease-file", leaseFile.toAbsolutePath().toString());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        StemstreamNode node = StemstreamNode.start(NodeConfig.load(config, overrides), join);
        node.system().getWhenTerminated().thenRun(stopped::countDown);
        System.err.println("stemstream node " + node.address() + ": detector sockets "
                + node.settings().sectorEndpoint(0) + " .. +3, routing " + node.settings().routingEndpoint());
        if (!scan.given()) {
            stopped.await();
            return 0;
        }
        try {
            ScanRequest request = scan.toRequest();
            // the coordinator takes a scan once a node counts: this one, within moments of starting
            if (!node.awaitCounting(java.time.Duration.ofSeconds(60))) {
                throw new IllegalStateException("the node did not start counting within 60 s");
            }
            GatewayProtocol.ScanReply reply = node.startScan(request, null).toCompletableFuture().join();
            if (reply instanceof GatewayProtocol.ScanRefused refused) {
                throw new IllegalArgumentException(refused.reason());
            }
            System.err.println("scan " + request.scanNumber() + " waiting for frames");
            ScanView view = ScanProgress.follow(() -> node.statusNow(request.scanNumber()));
            System.out.println(view.describe());
            System.out.println(HeapUse.describe());
            if (!exitAfterScan) {
                stopped.await();
            }
            return view.state() == ScanView.State.DONE ? 0 : 1;
        } finally {
            if (exitAfterScan || stopped.getCount() == 0) {
                node.close();
            }
        }
    }
}
