package org.stemstream.protocol.cluster;

import org.stemstream.protocol.SampleStatistics;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** What the scan coordinator (a cluster singleton) hears from nodes, from scan writers and from gateways. */
public interface CoordinatorProtocol {
    interface Command extends ClusterMessage {
    }

    /** A node's heartbeat: its sector sockets, its host actor, its counting threads and its current rate. */
    record NodeUp(RoutingTable.Endpoint ingress, ActorRef<NodeProtocol.Command> host, int countingThreads,
                  double framesPerSecond) implements Command {
    }

    /** The scan is open in the node's stream: its blocks are taken from now on. */
    record ScanOpened(long scanNumber, String node) implements Command {
    }

    /** A node is leaving gracefully: route its partitions elsewhere. */
    record NodeLeaving(String node) implements Command {
    }

    /**
     * A node's account of one scan's input so far (what its counting workers did is in {@link PartitionProgress}).
     *
     * @param framesAssembled frames this node's stream handed on to counting, complete or not
     * @param blocks          blocks received per sector
     * @param sent            blocks the sector's producer said it sent to this node, -1 before its end of scan
     * @param rejected        other blocks rejected here while the scan was open (impossible headers, frames outside
     *                        the scan, blocks of scans not open here), the last of them explained by
     *                        {@code lastRejection}
     * @param maxFrameSeen    the highest frame number this node has received
     * @param idleMillis      how long since this node last received a block of the scan
     * @param inputEnded      the input has ended here and every frame this node counted is stored
     */
    record NodeProgress(long scanNumber, String node, long framesAssembled, long[] blocks, long[] sent,
                        long duplicates, long late, long rejected, String lastRejection, long maxFrameSeen,
                        long idleMillis, boolean inputEnded, String failure) implements Command {
    }

    /**
     * A counting worker's account of one scan, for the worker's incarnation on {@code node} (a partition that moves
     * starts a new account where it lands; the accounts add up).
     *
     * @param highestFrame the highest frame number it counted, -1 before the first
     * @param eventsSent   events sent to the scan's writer, of which {@code eventsStored} are stored
     */
    record PartitionProgress(long scanNumber, int partition, String node, long framesCounted, long framesIncomplete,
                             long highestFrame, long eventsSent, long eventsStored) implements Command {
    }

    /**
     * The statistics of a node's first complete frames of a scan, one per frame (all it will send for it; empty
     * when it has none).
     */
    record ThresholdSamples(long scanNumber, String node, List<SampleStatistics> frames) implements Command {
        public ThresholdSamples {
            frames = new ArrayList<>(frames);
        }
    }

    /** The scan writer's file is open, or could not be. */
    record FileOpened(long scanNumber, String failure) implements Command {
    }

    /**
     * The scan writer committed the file (failure empty) or could not.
     *
     * @param file where the file is: the output asked for, or a numbered name beside it when that appeared meanwhile
     */
    record FileClosed(long scanNumber, String file, long framesWritten, long framesIncomplete, long framesMissing,
                      long events, long extraFrames, long duplicateFrames, String failure) implements Command {
    }

    /** A node keeps the scan's replica: {@code replica} takes the writer's batches. */
    record ReplicaReady(long scanNumber, String node, ActorRef<ReplicaProtocol.Command> replica) implements Command {
    }

    /** A replica sent the batches it kept to the scan's new writer. */
    record Restored(long scanNumber, String node, long batches) implements Command {
    }
}
