package org.stemstream.node.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.stemstream.kernel.Thresholds;
import org.stemstream.node.counting.CountingSetup;
import org.stemstream.node.counting.References;
import org.stemstream.node.counting.ThresholdPolicy;
import org.stemstream.protocol.cluster.ScanRequest;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The counting options shared by every command that counts, offline or streamed: thresholds, dark and gain. */
final class CountingOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--background-threshold", paramLabel = "X",
            description = "Given background threshold (with --xray-threshold): values at or below it are zeroed.")
    Double backgroundThreshold;

    @Option(names = "--xray-threshold", paramLabel = "Y",
            description = "Given x-ray threshold (with --background-threshold): values at or above it are zeroed.")
    Double xrayThreshold;

    @Option(names = "--threshold-frames", paramLabel = "K",
            description = "Compute thresholds from the first K complete frames (default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    int thresholdFrames;

    @Option(names = "--threshold-samples", paramLabel = "N",
            description = "stempy's number of samples; each of the K frames weighs N/K (default: ${DEFAULT-VALUE}).",
            defaultValue = "40")
    int thresholdSamples;

    @Option(names = "--background-sigma", paramLabel = "S", defaultValue = "4",
            description = "Background threshold = fitted mean + S fitted sigma (default: ${DEFAULT-VALUE}).")
    double backgroundSigma;

    @Option(names = "--xray-sigma", paramLabel = "S", defaultValue = "10",
            description = "X-ray threshold = sample mean + S standard deviations (default: ${DEFAULT-VALUE}).")
    double xraySigma;

    @Option(names = "--dark", paramLabel = "FILE",
            description = "Dark reference: 576 x 576 float32, little-endian.")
    Path dark;

    @Option(names = "--dark-scan", paramLabel = "FILE", arity = "1..*", split = ",",
            description = "Raw files of a dark scan (after the scan's files, or comma-separated); their mean frame"
                    + " is the dark reference.")
    List<Path> darkScan;

    @Option(names = "--gain", paramLabel = "FILE",
            description = "Gain: 576 x 576 float32 multipliers; counts (raw - dark) * gain in float.")
    Path gain;

    /** The counting for offline work: references loaded here. */
    CountingSetup toSetup(boolean thresholdFramesGiven) throws IOException {
        check(thresholdFramesGiven);
        ThresholdPolicy policy = backgroundThreshold != null
                ? new ThresholdPolicy.Given(new Thresholds(backgroundThreshold, xrayThreshold))
                : new ThresholdPolicy.Computed(thresholdFrames, thresholdSamples, backgroundSigma, xraySigma);
        References.Dark darkReference = References.dark(dark, darkScan);
        return CountingSetup.of(darkReference.values(), darkReference.source(), References.gain(gain),
                gain == null ? null : gain.toAbsolutePath().toString(), policy);
    }

    /** A scan for the cluster to count: references travel as paths that every node reads. */
    ScanRequest toRequest(long scanNumber, ScanSize size, int framesPerPosition, Path output, long idleTimeoutMillis,
                          boolean thresholdFramesGiven) {
        check(thresholdFramesGiven);
        return new ScanRequest(scanNumber, size.width(), size.height(), framesPerPosition,
                backgroundThreshold == null ? Double.NaN : backgroundThreshold,
                xrayThreshold == null ? Double.NaN : xrayThreshold, thresholdFrames, thresholdSamples,
                backgroundSigma, xraySigma, dark == null ? null : dark.toAbsolutePath().toString(),
                darkScan == null ? List.of() : darkScan.stream().map(p -> p.toAbsolutePath().toString()).toList(),
                gain == null ? null : gain.toAbsolutePath().toString(), output.toAbsolutePath().toString(),
                idleTimeoutMillis);
    }

    /** Reads the dark and gain the request names, so that a missing or malformed file is refused at once. */
    void checkReferences() throws IOException {
        References.dark(dark, darkScan);
        References.gain(gain);
    }

    private void check(boolean thresholdFramesGiven) {
        if ((backgroundThreshold == null) != (xrayThreshold == null)) {
            throw new IllegalArgumentException("give both --background-threshold and --xray-threshold,"
                    + " or neither to compute them");
        }
        OptionRange.atLeast(spec, "--threshold-frames", thresholdFrames, 1);
        OptionRange.atLeast(spec, "--threshold-samples", thresholdSamples, 1);
        OptionRange.above(spec, "--background-sigma", backgroundSigma, 0);
        OptionRange.above(spec, "--xray-sigma", xraySigma, 0);
        if (backgroundThreshold != null) {
            OptionRange.finite(spec, "--background-threshold", backgroundThreshold);
            OptionRange.finite(spec, "--xray-threshold", xrayThreshold);
        }
        if (backgroundThreshold != null && thresholdFramesGiven) {
            throw new IllegalArgumentException("--threshold-frames computes thresholds; it cannot go with"
                    + " given thresholds");
        }
        if (backgroundThreshold != null && !(backgroundThreshold < xrayThreshold)) {
            throw new IllegalArgumentException("the background threshold " + backgroundThreshold
                    + " must be below the x-ray threshold " + xrayThreshold);
        }
        if (dark != null && darkScan != null) {
            throw new IllegalArgumentException("give --dark or --dark-scan, not both");
        }
    }
}
