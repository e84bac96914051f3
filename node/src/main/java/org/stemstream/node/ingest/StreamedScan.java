package org.stemstream.node.ingest;

import org.apache.pekko.actor.typed.ActorRef;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.protocol.cluster.ScanRequest;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * What the stream's stages know of a scan, fixed when the scan opens on this node: the request, its dark and gain,
 * its writer, and its counting plan when the thresholds were given (null while the cluster computes them).
 */
public record StreamedScan(ScanRequest request, PixelCorrection correction, ActorRef<WriterProtocol.Command> writer,
                           CountingPlan givenPlan) {
    public long scanNumber() {
        return request.scanNumber();
    }
}
