package org.stemstream.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.stemstream.node.counting.CountingSetup;
import org.stemstream.node.counting.ThresholdPolicy;
import org.stemstream.node.scan.ScanCoordinator;
import org.stemstream.node.scan.ScanSpec;
import org.stemstream.node.scan.ScanStatus;
import org.stemstream.kernel.Thresholds;

/** Real nodes on loopback for tests: free ports, short timeouts, and helpers to run a scan. */
public final class TestNodes {
    private TestNodes() {
    }

    /** A base port with the three above it free too (the four sector sockets). */
    public static int freeSectorPorts() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                base = probe.getLocalPort();
            }
            if (base + 3 < 65535 && free(base) && free(base + 1) && free(base + 2) && free(base + 3)) {
                return base;
            }
        }
        throw new IOException("no four consecutive free ports found");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Node configuration on free ports with the given overrides (keys under stemstream. or pekko.). */
    public static Config config(Map<String, Object> overrides) throws IOException {
        Map<String, Object> values = new HashMap<>();
        values.put("stemstream.ingress.port", freeSectorPorts());
        values.put("pekko.remote.artery.canonical.port", 0);
        values.put("stemstream.stream.frame-timeout", "1s");
        values.putAll(overrides);
        return ConfigFactory.parseMap(values).withFallback(ConfigFactory.load());
    }

    public static StemstreamNode node(Map<String, Object> overrides) throws IOException {
        return StemstreamNode.start(config(overrides));
    }

    public static CountingSetup givenThresholds(double background, double xray) {
        return CountingSetup.of(null, null, null, null, new ThresholdPolicy.Given(new Thresholds(background, xray)));
    }

    public static ScanSpec spec(long scan, int width, int height, CountingSetup setup, java.nio.file.Path output,
                                Duration idle) {
        return new ScanSpec(scan, width, height, 1, setup, output, idle);
    }

    /** Starts a scan and fails the test with the node's reason if it is refused. */
    public static void start(StemstreamNode node, ScanSpec spec) {
        ScanCoordinator.StartReply reply = node.startScan(spec, null).toCompletableFuture().join();
        if (reply instanceof ScanCoordinator.Refused refused) {
            throw new AssertionError("scan refused: " + refused.reason());
        }
    }

    public static ScanStatus awaitFinished(StemstreamNode node, long scan, Duration timeout) {
        ScanCoordinator.StatusReply reply = node.whenFinished(scan, timeout).toCompletableFuture().join();
        if (reply instanceof ScanCoordinator.Known known) {
            return known.status();
        }
        throw new AssertionError("scan " + scan + " unknown to the node");
    }
}
