package org.stemstream.node.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.stemstream.node.scan.ScanSpec;
import picocli.CommandLine.Mixin;
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

    @Option(names = {"-o", "--output"}, paramLabel = "FILE.h5", description = "Where the counted scan goes.")
    Path output;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "End the scan with what it has after this long without data (default: from the config).")
    Double timeoutSeconds;

    @Mixin
    CountingOptions counting;

    boolean given() {
        return scanNumber != null || scanSize != null || output != null;
    }

    ScanSpec toSpec(Duration defaultTimeout) throws IOException {
        if (scanNumber == null || scanSize == null || output == null) {
            throw new IllegalArgumentException("a scan needs --scan-number, --scan WxH and --output");
        }
        Duration timeout = timeoutSeconds == null ? defaultTimeout : Duration.ofMillis((long) (timeoutSeconds * 1000));
        boolean thresholdFramesGiven = spec.commandLine().getParseResult().hasMatchedOption("--threshold-frames");
        return new ScanSpec(scanNumber, scanSize.width(), scanSize.height(), framesPerPosition,
                counting.toSetup(thresholdFramesGiven), output.toAbsolutePath(), timeout);
    }
}
