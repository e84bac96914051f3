package org.stemstream.tools.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.stemstream.node.FreePorts;
import org.stemstream.node.NodeConfig;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.cli.Scans;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.KryoSerializer;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * One node against three (actor systems in this JVM, on this machine's 2 cores): frames/s, whether the events are
 * identical, the bytes of stemstream messages between nodes per frame, and how long a fresh node takes to join and
 * be routed frames.
 */
public final class ClusterBenchmark {
    /** A run: frames/s, per-slot events (as text), bytes serialized between nodes. */
    public record Run(double framesPerSecond, Map<Integer, String> events, long bytesBetweenNodes) {
    }

    private final SyntheticScan scan;

    public ClusterBenchmark(int width, int height) {
        this.scan = new SyntheticScan(1, width, height, 1, SyntheticDetector.typical(5), 256);
    }

    public Run run(int nodes, Path dir) throws Exception {
        List<StemstreamNode> cluster = new ArrayList<>();
        try {
            cluster.add(start(List.of()));
            String seed = cluster.get(0).address().substring(cluster.get(0).address().indexOf('@') + 1);
            for (int i = 1; i < nodes; i++) {
                cluster.add(start(List.of(seed)));
            }
            awaitRouting(cluster.get(0), nodes);
            Map<Integer, String> events = new ConcurrentHashMap<>();
            Path output = dir.resolve("cluster" + nodes + ".h5");
            Files.deleteIfExists(output);
            cluster.get(0).startScan(Scans.computed(1, scan.scanWidth(), scan.scanHeight(), output, 30),
                    (slot, frame, ev, n) -> events.put(slot, java.util.Arrays.toString(java.util.Arrays.copyOf(ev, n))))
                    .toCompletableFuture().join();
            long bytesBefore = KryoSerializer.bytesSerialized();
            DetectorEmulator.Result sent = DetectorEmulator.run(new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", cluster.get(nodes - 1).settings().ingressPort()),
                    FaultInjection.NONE);
            GatewayProtocol.ScanReply reply = cluster.get(0).whenFinished(1, Duration.ofMinutes(10))
                    .toCompletableFuture().join();
            long end = System.nanoTime();
            ScanView view = ((GatewayProtocol.ScanFound) reply).view();
            if (view.state() != ScanView.State.DONE || view.framesCounted() != scan.frames()) {
                throw new IllegalStateException(view.describe());
            }
            return new Run(scan.frames() / ((end - sent.startNanos()) / 1e9), events,
                    KryoSerializer.bytesSerialized() - bytesBefore);
        } finally {
            for (int i = cluster.size() - 1; i >= 0; i--) {
                cluster.get(i).close();
            }
        }
    }

    /** Seconds from starting a node next to a running seed until the routing table sends it frames. */
    public double joinSeconds() throws Exception {
        try (StemstreamNode seed = start(List.of())) {
            awaitRouting(seed, 1);
            String address = seed.address().substring(seed.address().indexOf('@') + 1);
            long start = System.nanoTime();
            try (StemstreamNode joining = start(List.of(address))) {
                awaitRouting(seed, 2);
                return (System.nanoTime() - start) / 1e9;
            }
        }
    }

    public int frames() {
        return scan.frames();
    }

    private static StemstreamNode start(List<String> seeds) throws Exception {
        Map<String, Object> settings = new HashMap<>();
        settings.put("stemstream.ingress.port", FreePorts.nodeBase());
        settings.put("pekko.remote.artery.canonical.port", 0);
        settings.put("stemstream.management.enabled", false);
        settings.put("stemstream.cluster.leave-drain", "0s");
        return StemstreamNode.start(NodeConfig.load(null, settings), seeds);
    }

    private static void awaitRouting(StemstreamNode node, int nodes) throws InterruptedException {
        if (!node.awaitRouting(nodes, Duration.ofSeconds(60))) {
            throw new IllegalStateException("the cluster did not form");
        }
    }

    public static String describe(int nodes, Run run, int frames) {
        return String.format(Locale.ROOT, "%d node(s): %.0f frames/s; stemstream bytes between nodes %.0f per frame"
                + " (%.3f%% of a raw frame)", nodes, run.framesPerSecond(), (double) run.bytesBetweenNodes() / frames,
                100.0 * run.bytesBetweenNodes() / frames / 663_552);
    }
}
