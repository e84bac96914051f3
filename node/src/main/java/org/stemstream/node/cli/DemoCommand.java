package org.stemstream.node.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.stemstream.node.counting.CountSummary;
import org.stemstream.node.counting.CountingSetup;
import org.stemstream.node.counting.OfflineCounter;
import org.stemstream.node.counting.ProgressLine;
import org.stemstream.node.counting.ScanImages;
import org.stemstream.node.counting.ThresholdPolicy;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.protocol.RawScan;
import org.stemstream.simulator.GroundTruth;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stemstream demo}: a whole scan on this machine, from synthetic detector to counted file and pictures. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Simulate a scan, count it, and report the result against the simulator's ground truth.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--scan", paramLabel = "WxH", defaultValue = "64x64", converter = ScanSize.Converter.class,
            description = "Probe positions (default: ${DEFAULT-VALUE}).")
    ScanSize scan;

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "demo-output",
            description = "Where the raw files, the counted file and the pictures go (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Override
    public Integer call() throws Exception {
        Path raw = workDir.resolve("raw");
        System.out.println("simulating a " + scan + " scan into " + raw);
        SyntheticScan synthetic = new SyntheticScan(1, scan.width(), scan.height(), 1, SyntheticDetector.typical(42));
        List<Path> files = synthetic.writeRawFiles(raw, 2);
        GroundTruth truth = GroundTruth.read(raw.resolve("truth_electrons.csv"));

        Path output = workDir.resolve("scan1_counted.h5");
        ScanImages images = new ScanImages(scan.width(), scan.height(), 1);
        AtomicLong found = new AtomicLong();
        CountSummary summary;
        try (RawScan rawScan = RawScan.open(files);
             ProgressLine progress = new ProgressLine("counting", rawScan.frameSlots(), System.err)) {
            summary = OfflineCounter.count(rawScan, CountingSetup.of(null, null, null, null,
                            ThresholdPolicy.Computed.DEFAULT), output, Runtime.getRuntime().availableProcessors(),
                    progress, (slot, frame, events, n) -> {
                        images.counted(slot, frame, events, n);
                        found.addAndGet(truth.found(frame, events, n, FrameGeometry.FRAME_WIDTH));
                    });
        }
        Path[] pictures = images.writePngs(workDir.resolve("scan1"));
        System.out.println(summary.describe());
        System.out.printf(Locale.ROOT, "recall: %.4f (%d of %d simulated electrons found within 1 pixel)%n",
                (double) found.get() / truth.electrons(), found.get(), truth.electrons());
        System.out.println("pictures: " + pictures[0] + " " + pictures[1]);
        Files.createDirectories(workDir);
        return 0;
    }
}
