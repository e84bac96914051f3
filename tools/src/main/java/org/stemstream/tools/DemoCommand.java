package org.stemstream.tools;

import org.stemstream.node.cli.OptionRange;
import org.stemstream.node.cli.ScanProgress;
import org.stemstream.node.cli.ScanSize;
import org.stemstream.node.cli.Scans;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.stemstream.node.FreePorts;
import org.stemstream.node.NodeConfig;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.counting.ScanImages;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.GroundTruth;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.Specimen;
import org.stemstream.simulator.SyntheticScan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stemstream demo}: a node and the emulated detector on this machine; a synthetic scan streams over ZeroMQ,
 * is counted as it arrives, and is checked against the simulator's ground truth.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Stream a synthetic scan from the emulated detector into a node and count it on the fly.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--scan", paramLabel = "WxH", defaultValue = "64x64", converter = ScanSize.Converter.class,
            description = "Probe positions (default: ${DEFAULT-VALUE}).")
    ScanSize scan;

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "demo-output",
            description = "Where the counted file and the pictures go (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--rate", paramLabel = "FPS", defaultValue = "0",
            description = "Detector frame rate (default: as fast as the node counts).")
    double rate;

    @Option(names = "--specimen", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Scan the synthetic specimen (atomic columns in two grains, a hole), every frame rendered"
                    + " (the default); --no-specimen streams a featureless beam from a bank of --distinct-frames.")
    boolean specimen;

    @Option(names = "--distinct-frames", paramLabel = "N", defaultValue = "256",
            description = "With --no-specimen: distinct synthetic frames, rendered once and repeated"
                    + " (default: ${DEFAULT-VALUE}).")
    int distinctFrames;

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "1",
            description = "Nodes: 1 runs in this JVM; more start a cluster of separate node processes"
                    + " (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Override
    public Integer call() throws Exception {
        OptionRange.atLeast(spec, "--rate", rate, 0);
        OptionRange.atLeast(spec, "--distinct-frames", distinctFrames, 0);
        OptionRange.atLeast(spec, "--nodes", nodes, 1);
        // over the specimen, more electrons per frame than the featureless beam's 40: its images want the counts
        SyntheticScan synthetic = specimen
                ? new SyntheticScan(1, scan.width(), scan.height(), 1, new SyntheticDetector(42, 120, 0.05))
                        .over(Specimen.LATTICE)
                : new SyntheticScan(1, scan.width(), scan.height(), 1, SyntheticDetector.typical(42), distinctFrames);
        if (nodes > 1) {
            return new ClusterDemo(scan, workDir, rate, synthetic, nodes).run();
        }
        Files.createDirectories(workDir);
        Path output = workDir.resolve("scan1_counted.h5");
        Files.deleteIfExists(output);
        GroundTruth truth = new GroundTruth();
        SyntheticFeed feed = new SyntheticFeed(synthetic, truth);
        AtomicLong found = new AtomicLong();

        int pagePort = FreePorts.any();
        Map<String, Object> ports = Map.of("stemstream.ingress.port", FreePorts.nodeBase(),
                "pekko.remote.artery.canonical.port", 0, "pekko.management.http.hostname", "127.0.0.1",
                "pekko.management.http.port", pagePort);
        try (StemstreamNode node = StemstreamNode.start(NodeConfig.load(null, ports))) {
            if (!node.awaitRouting(1, java.time.Duration.ofSeconds(30))) {
                throw new IllegalStateException("the node did not start counting within 30 s");
            }
            GatewayProtocol.ScanReply started = node.startScan(Scans.computed(1, scan.width(), scan.height(), output,
                    30), (slot, frame, events, n) -> {
                        found.addAndGet(truth.found(frame, events, n, FrameGeometry.FRAME_WIDTH));
                    }).toCompletableFuture().join();
            if (started instanceof GatewayProtocol.ScanRefused refused) {
                throw new IllegalStateException(refused.reason());
            }
            System.out.println("live page: http://127.0.0.1:" + pagePort + "/");
            System.out.println("node up: detector sockets " + node.settings().sectorEndpoint(0) + " .. +3; streaming"
                    + " a " + scan + " scan (" + synthetic.frames() + " frames, "
                    + String.format(Locale.ROOT, "%.1f", synthetic.frames() * 4.0 * 165_904 / 1e9) + " GB raw)");
            CompletableFuture<DetectorEmulator.Result> sending = CompletableFuture.supplyAsync(() -> {
                try {
                    return DetectorEmulator.run(feed, DetectorEmulator.Settings.to("127.0.0.1",
                            node.settings().ingressPort()).atRate(rate), FaultInjection.NONE);
                } catch (Exception e) {
                    throw new IllegalStateException("the detector emulator failed: " + e.getMessage(), e);
                }
            });
            ScanView status = ScanProgress.follow(() -> node.statusNow(1));
            long doneNanos = System.nanoTime();
            DetectorEmulator.Result sent = sending.join();
            System.out.println(status.describe());
            System.out.printf(Locale.ROOT, "frames: %d counted, %d incomplete, %d missing%n", status.framesCounted(),
                    status.framesIncomplete(), status.framesMissing());
            System.out.printf(Locale.ROOT, "rate: %.0f frames/s from the first frame sent to the file complete%n",
                    status.framesCounted() / ((doneNanos - sent.startNanos()) / 1e9));
            System.out.printf(Locale.ROOT, "file complete %.0f ms after the last frame was sent%n",
                    (doneNanos - sent.lastSentNanos()) / 1e6);
            System.out.printf(Locale.ROOT, "recall: %.4f (%d of %d simulated electrons found within 1 pixel)%n",
                    (double) found.get() / truth.electrons(), found.get(), truth.electrons());
            System.out.println("output: " + output.toAbsolutePath());
            System.out.println("pictures: " + ScanImages.scanPicture(output) + " " // the writer's, beside the file
                    + ScanImages.patternPicture(output));
            return status.state() == ScanView.State.DONE ? 0 : 1;
        }
    }
}
