package org.stemstream.protocol.cluster;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.stemstream.protocol.SampleStatistics;

/**
 * A scan as the cluster keeps it in Distributed Data: its latest view and, while it runs, what a coordinator that takes
 * over needs to go on with it: the request, where the copy of its stored events is kept, and the nodes' and workers'
 * last accounts, and the threshold samples (those the thresholds came from, or those in so far) with the note on them
 * when they were not the scan's first frames.
 *
 * @param request null once the scan is final
 * @param replica null once the scan is final, or while no other node keeps a copy
 */
public record ScanCheckpoint(ScanView view, ScanRequest request, ActorRef<ReplicaProtocol.Command> replica,
                             List<CoordinatorProtocol.NodeProgress> nodes,
                             List<CoordinatorProtocol.PartitionProgress> partitions,
                             List<SampleStatistics> samples, String thresholdsNote) implements ClusterMessage {
    public ScanCheckpoint {
        nodes = new ArrayList<>(nodes);
        partitions = new ArrayList<>(partitions);
        samples = new ArrayList<>(samples);
    }

    /** A final scan: its view is all there is to keep. */
    public static ScanCheckpoint finished(ScanView view) {
        return new ScanCheckpoint(view, null, null, List.of(), List.of(), List.of(), "");
    }
}
