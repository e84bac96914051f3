package org.stemstream.node.cli;

import java.nio.file.Path;
import java.util.List;
import org.stemstream.protocol.cluster.ScanRequest;

/** Scan requests with stempy's defaults, for the demo, the benchmarks and tests. */
public final class Scans {
    private Scans() {
    }

    /** Thresholds computed as stempy's defaults do: the first complete frame, 40 samples, 4 and 10 sigma. */
    public static ScanRequest computed(long scanNumber, int width, int height, Path output, double timeoutSeconds) {
        return new ScanRequest(scanNumber, width, height, 1, Double.NaN, Double.NaN, 1, 40, 4, 10, null, List.of(),
                null, output.toAbsolutePath().toString(), (long) (timeoutSeconds * 1000));
    }

    /** Given thresholds. */
    public static ScanRequest given(long scanNumber, int width, int height, double background, double xray,
                                    Path output, double timeoutSeconds) {
        return new ScanRequest(scanNumber, width, height, 1, background, xray, 1, 40, 4, 10, null, List.of(), null,
                output.toAbsolutePath().toString(), (long) (timeoutSeconds * 1000));
    }
}
