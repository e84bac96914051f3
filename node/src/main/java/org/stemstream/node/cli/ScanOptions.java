package org.stemstream.node.cli;

import java.nio.file.Path;
import java.util.List;
import org.stemstream.protocol.cluster.ScanRequest;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The options that describe a scan to stream: number, size, output, counting. */
final class ScanOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--scan-number", paramLabel = "N", description = "The scan's number, as in the block headers.")
    Long scanNumber;

    @Option(names = "--scan", paramLabel = "WxH", converter = ScanSize.Converter.class,
            description = "Probe positions, width x height.")
    ScanSize scanSize;

    @Option(names = "--frames-per-position", paramLabel = "F", defaultValue = "1")
    int framesPerPosition;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE.h5",
            description = "Where the counted scan goes (a path the scan's writer node can write).")
    Path output;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "End the scan with what it has after this long without data (default: ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @Option(names = "--background-threshold", paramLabel = "X",
            description = "Given background threshold (with --xray-threshold).")
    Double backgroundThreshold;

    @Option(names = "--xray-threshold", paramLabel = "Y", description = "Given x-ray threshold.")
    Double xrayThreshold;

    @Option(names = "--threshold-frames", paramLabel = "K", defaultValue = "1",
            description = "Compute thresholds from the first K complete frames (default: ${DEFAULT-VALUE}).")
    int thresholdFrames;

    @Option(names = "--threshold-samples", paramLabel = "N", defaultValue = "40")
    int thresholdSamples;

    @Option(names = "--background-sigma", paramLabel = "S", defaultValue = "4")
    double backgroundSigma;

    @Option(names = "--xray-sigma", paramLabel = "S", defaultValue = "10")
    double xraySigma;

    @Option(names = "--dark", paramLabel = "FILE", description = "Dark reference (576 x 576 float32), on every node.")
    Path dark;

    @Option(names = "--dark-scan", paramLabel = "FILE", split = ",", description = "Raw files of a dark scan.")
    List<Path> darkScan;

    @Option(names = "--gain", paramLabel = "FILE", description = "Gain (576 x 576 float32), on every node.")
    Path gain;

    boolean given() {
        return scanNumber != null || scanSize != null || output != null;
    }

    ScanRequest toRequest() {
        if (scanNumber == null || scanSize == null || output == null) {
            throw new IllegalArgumentException("a scan needs --scan-number, --scan WxH and --output");
        }
        if ((backgroundThreshold == null) != (xrayThreshold == null)) {
            throw new IllegalArgumentException("give both --background-threshold and --xray-threshold,"
                    + " or neither to compute them");
        }
        if (backgroundThreshold != null && spec.commandLine().getParseResult().hasMatchedOption("--threshold-frames")) {
            throw new IllegalArgumentException("--threshold-frames computes thresholds; it cannot go with given ones");
        }
        if (dark != null && darkScan != null) {
            throw new IllegalArgumentException("give --dark or --dark-scan, not both");
        }
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("--timeout must be positive");
        }
        return new ScanRequest(scanNumber, scanSize.width(), scanSize.height(), framesPerPosition,
                backgroundThreshold == null ? Double.NaN : backgroundThreshold,
                xrayThreshold == null ? Double.NaN : xrayThreshold, thresholdFrames, thresholdSamples,
                backgroundSigma, xraySigma, dark == null ? null : dark.toAbsolutePath().toString(),
                darkScan == null ? List.of() : darkScan.stream().map(p -> p.toAbsolutePath().toString()).toList(),
                gain == null ? null : gain.toAbsolutePath().toString(), output.toAbsolutePath().toString(),
                (long) (timeoutSeconds * 1000));
    }
}
