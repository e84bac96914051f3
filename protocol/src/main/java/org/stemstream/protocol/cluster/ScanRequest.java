package org.stemstream.protocol.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * A scan as the operator asks for it: number, size, how to count it and where the counted file goes. References
 * (dark, gain) are paths every node can read (a shared file system on a cluster).
 *
 * @param backgroundThreshold given thresholds, or NaN to compute them
 * @param darkScan            raw files of a dark scan whose mean is the dark reference (empty for none)
 */
public record ScanRequest(long scanNumber, int scanWidth, int scanHeight, int framesPerPosition,
                          double backgroundThreshold, double xrayThreshold, int thresholdFrames,
                          int thresholdSamples, double backgroundSigma, double xraySigma, String dark,
                          List<String> darkScan, String gain, String output, long idleTimeoutMillis)
        implements ClusterMessage {

    public ScanRequest {
        darkScan = new ArrayList<>(darkScan == null ? List.of() : darkScan);
    }

    public boolean thresholdsGiven() {
        return !Double.isNaN(backgroundThreshold);
    }

    public int frames() {
        return scanWidth * scanHeight * framesPerPosition;
    }
}
