package org.stemstream.node.cli;

import java.nio.file.Path;
import org.stemstream.protocol.cluster.ScanRequest;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The options that describe a scan to stream: number, size, output, timeout, and how to count it. */
final class ScanOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--scan-number", paramLabel = "N", description = "The scan's number, as in the block headers.")
    Long scanNumber;

    @Option(names = "--scan", paramLabel = "WxH", converter = ScanSize.Converter.class,
            description = "Probe positions, width x height.")
    ScanSize scanSize;

    @Option(names = "--frames-per-position", paramLabel = "F", defaultValue = "1",
            description = "Frames at each probe position (default: ${DEFAULT-VALUE}).")
    int framesPerPosition;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE.h5",
            description = "Where the counted scan goes (a path the coordinator's node can write).")
    Path output;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "End the scan with what it has after this long without data (default: ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @Mixin
    CountingOptions counting;

    boolean given() {
        return scanNumber != null || scanSize != null || output != null;
    }

    ScanRequest toRequest() {
        if (scanNumber == null || scanSize == null || output == null) {
            throw new IllegalArgumentException("a scan needs --scan-number, --scan WxH and --output");
        }
        OptionRange.above(spec, "--timeout", timeoutSeconds, 0);
        OptionRange.atLeast(spec, "--frames-per-position", framesPerPosition, 1);
        return counting.toRequest(scanNumber, scanSize, framesPerPosition, output, (long) (timeoutSeconds * 1000),
                spec.commandLine().getParseResult().hasMatchedOption("--threshold-frames"));
    }
}
