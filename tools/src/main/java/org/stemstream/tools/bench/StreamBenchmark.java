package org.stemstream.tools.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.stemstream.node.NodeConfig;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.cli.Scans;
import org.stemstream.node.counting.FrameListener;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.producer.SenderSettings;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/** Streams the same synthetic scan into bare JeroMQ sockets and into a node, and compares. */
public final class StreamBenchmark {
    /** Frames per second and the time from the last frame sent to the end (all ends received, or file complete). */
    public record Run(int frames, double seconds, double latencySeconds) {
        public double framesPerSecond() {
            return frames / seconds;
        }
    }

    private final SyntheticScan scan;
    private final SyntheticFeed feed;

    public StreamBenchmark(int width, int height, int distinctFrames) {
        this.scan = new SyntheticScan(1, width, height, 1, SyntheticDetector.typical(5), distinctFrames);
        this.feed = new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH);
    }

    public SyntheticFeed feed() {
        return feed;
    }

    public Run bare(int port, int receiveHighWaterMark) throws Exception {
        try (BareSink sink = new BareSink("127.0.0.1", port, receiveHighWaterMark)) {
            DetectorEmulator.Result sent = DetectorEmulator.run(feed,
                    DetectorEmulator.Settings.directTo("127.0.0.1", port), FaultInjection.NONE);
            long end = sink.awaitEnds();
            return new Run(scan.frames(), (end - sent.startNanos()) / 1e9, (end - sent.lastSentNanos()) / 1e9);
        }
    }

    public Run node(int port, Path output, FrameListener listener) throws Exception {
        return node(port, output, listener, SenderSettings.DEFAULT_RETENTION_BYTES);
    }

    /** @param retentionBytes what each producer keeps until its frames are stored (0: nothing) */
    public Run node(int port, Path output, FrameListener listener, long retentionBytes) throws Exception {
        Files.deleteIfExists(output);
        Map<String, Object> settings = Map.of("stemstream.ingress.port", port,
                "pekko.remote.artery.canonical.port", 0, "stemstream.management.enabled", false);
        try (StemstreamNode node = StemstreamNode.start(NodeConfig.load(null, settings))) {
            if (!node.awaitRouting(1, java.time.Duration.ofSeconds(30))) {
                throw new IllegalStateException("the node did not start counting within 30 s");
            }
            ScanRequest request = Scans.computed(1, scan.scanWidth(), scan.scanHeight(), output, 30);
            if (node.startScan(request, listener).toCompletableFuture().join()
                    instanceof GatewayProtocol.ScanRefused r) {
                throw new IllegalStateException(r.reason());
            }
            DetectorEmulator.Result sent = DetectorEmulator.run(feed, DetectorEmulator.Settings.to("127.0.0.1", port)
                    .withRetention(retentionBytes), FaultInjection.NONE);
            GatewayProtocol.ScanReply reply = node.whenFinished(1, Duration.ofMinutes(30)).toCompletableFuture()
                    .join();
            long end = System.nanoTime();
            ScanView status = ((GatewayProtocol.ScanFound) reply).view();
            if (status.state() != ScanView.State.DONE || status.framesCounted() != scan.frames()) {
                throw new IllegalStateException("the benchmark scan did not count every frame: " + status.describe());
            }
            return new Run(scan.frames(), (end - sent.startNanos()) / 1e9, (end - sent.lastSentNanos()) / 1e9);
        }
    }

    public static String describe(String what, Run run) {
        return String.format(Locale.ROOT, "%s: %d frames in %.2f s = %.0f frames/s (%.2f GB/s raw), end %.0f ms after"
                + " the last frame was sent", what, run.frames(), run.seconds(), run.framesPerSecond(),
                run.framesPerSecond() * 4 * 165_904 / 1e9, run.latencySeconds() * 1000);
    }
}
