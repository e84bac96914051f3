package org.stemstream.node.ingest;

import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.protocol.cluster.ScanRequest;

/**
 * What the stream's stages know of a scan, fixed when the scan opens on this node: the request, its dark and gain,
 * and its counting plan when the thresholds were given (null while the cluster computes them).
 */
public record StreamedScan(ScanRequest request, PixelCorrection correction, CountingPlan givenPlan) {
    public long scanNumber() {
        return request.scanNumber();
    }
}
