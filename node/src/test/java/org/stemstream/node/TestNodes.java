package org.stemstream.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;

/** Real nodes on loopback for tests: free ports, short timeouts, and helpers to run a scan. */
public final class TestNodes {
    private TestNodes() {
    }

    /** Node configuration on free ports with the given overrides (keys under stemstream. or pekko.). */
    public static Config config(Map<String, Object> overrides) throws IOException {
        Map<String, Object> values = new HashMap<>();
        values.put("stemstream.ingress.port", FreePorts.nodeBase());
        values.put("pekko.remote.artery.canonical.port", 0);
        values.put("stemstream.stream.frame-timeout", "1s");
        values.put("stemstream.management.enabled", false);
        values.put("stemstream.cluster.leave-drain", "0s");
        values.putAll(overrides);
        return ConfigFactory.parseMap(values).withFallback(ConfigFactory.load());
    }

    /** Overrides for a node that serves its HTTP endpoints (Management, metrics, the live page) on {@code port}. */
    public static Map<String, Object> httpOn(int port) {
        return Map.of("stemstream.management.enabled", true, "pekko.management.http.hostname", "127.0.0.1",
                "pekko.management.http.port", port);
    }

    /** A seed node, once the coordinator counts on it. */
    public static StemstreamNode node(Map<String, Object> overrides) throws IOException, InterruptedException {
        StemstreamNode node = StemstreamNode.start(config(overrides));
        awaitRouting(node, 1, Duration.ofSeconds(30));
        return node;
    }

    /** A node that joins the cluster of {@code seed}. */
    public static StemstreamNode joining(StemstreamNode seed, Map<String, Object> overrides) throws IOException {
        String address = seed.address().substring(seed.address().indexOf('@') + 1);
        return StemstreamNode.start(config(overrides), java.util.List.of(address));
    }

    /** Waits until the node's routing table spreads frames over {@code nodes} nodes. */
    public static void awaitRouting(StemstreamNode node, int nodes, Duration timeout) throws InterruptedException {
        if (!node.awaitRouting(nodes, timeout)) {
            throw new AssertionError("the routing table did not reach " + nodes + " nodes in " + timeout
                    + ": " + node.routingTable());
        }
    }

    /**
     * Checks {@code condition} every 200 ms until it holds or {@code timeout} has passed; true when it held. For
     * waiting on what a cluster reports only by being asked again.
     */
    public static boolean eventually(Duration timeout, java.util.concurrent.Callable<Boolean> condition)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(200);
        }
        return true;
    }

    /** Starts a scan and fails the test with the cluster's reason if it is refused. */
    public static void start(StemstreamNode node, ScanRequest request) {
        GatewayProtocol.ScanReply reply = node.startScan(request, null).toCompletableFuture().join();
        if (reply instanceof GatewayProtocol.ScanRefused refused) {
            throw new AssertionError("scan refused: " + refused.reason());
        }
    }

    public static ScanView awaitFinished(StemstreamNode node, long scan, Duration timeout) {
        GatewayProtocol.ScanReply reply = node.whenFinished(scan, timeout).toCompletableFuture().join();
        if (reply instanceof GatewayProtocol.ScanFound found) {
            return found.view();
        }
        throw new AssertionError(((GatewayProtocol.ScanRefused) reply).reason());
    }
}
