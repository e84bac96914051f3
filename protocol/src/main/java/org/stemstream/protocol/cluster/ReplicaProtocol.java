package org.stemstream.protocol.cluster;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a scan's replica hears: a copy of the scan's stored batches, kept on a node other than the writer's until the
 * scan is closed, so that a coordinator that takes over can write the file its dead predecessor had begun.
 * It takes {@link WriterProtocol.Frames} from the writer: each batch once, acknowledged to its worker every time.
 */
public interface ReplicaProtocol {
    interface Command extends ClusterMessage {
    }

    /** Send every batch kept to {@code writer} (a new writer of the scan), then tell {@code replyTo}. */
    record Restore(ActorRef<WriterProtocol.Command> writer, ActorRef<CoordinatorProtocol.Command> replyTo)
            implements Command {
    }

    /** The scan is closed (committed, dropped or failed): drop the copy. */
    record Release(long scanNumber) implements Command {
    }
}
