package org.stemstream.protocol.cluster;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/** What a scan's writer (one per scan, beside the coordinator) hears. */
public interface WriterProtocol {
    interface Command extends ClusterMessage {
    }

    record OpenFile(ScanRequest request, ActorRef<CoordinatorProtocol.Command> replyTo) implements Command {
    }

    /**
     * Counted frames from one counting worker, in a batch: frame i has {@code counts[i]} events starting at
     * {@code sum(counts[0..i))} in {@code events}. {@code storedTo} (the worker) hears when the batch is stored
     * and kept by the scan's replica; {@code storedTo} and {@code batch} name the batch, so one sent again is taken
     * once. Workers send it to the coordinator, which passes it to the scan's writer wherever it now runs.
     */
    record Frames(long scanNumber, long batch, long[] frameNumbers, int[] positions, boolean[] complete,
                  int[] counts, int[] events, ActorRef<WorkerProtocol.Command> storedTo)
            implements Command, CoordinatorProtocol.Command, ReplicaProtocol.Command {
    }

    /**
     * Where the scan's stored batches are kept on another node (null: no other node is up, so the writer
     * acknowledges alone): the writer sends it every batch it has, then each one it stores.
     */
    record UseReplica(ActorRef<ReplicaProtocol.Command> replica) implements Command {
    }

    /** Write the metadata and commit the file. */
    record CommitFile(long scanNumber, Map<String, Object> attributes,
                      ActorRef<CoordinatorProtocol.Command> replyTo) implements Command {
        public CommitFile {
            attributes = new LinkedHashMap<>(attributes);
        }
    }

    /** Renders one of the scan's pictures so far (radii all 0: the scan's own). */
    record RenderPictures(long scanNumber, boolean pattern, int brightField, int darkFieldInner, int darkFieldOuter,
                          ActorRef<GatewayProtocol.PicturesReply> replyTo) implements Command {
    }

    /** Drop the file: nothing is left behind. */
    record AbandonFile(long scanNumber) implements Command {
    }
}
