package org.stemstream.protocol.cluster;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a counting worker hears: a sharded entity, one per partition of frame numbers ({@code f mod P}), living on
 * the node the routing table sends the partition's frames to. It takes the sparse result of each frame the node's
 * stream counted and carries it to the scan's writer (through the coordinator, wherever that runs) with credit-based flow control.
 */
public interface WorkerProtocol {
    interface Command extends ClusterMessage {
    }

    /**
     * One counted frame of the partition; {@code replyTo} hears {@link Accepted} once the worker has room for more
     * (that reply is the stream's backpressure; it names the worker, so the next frames can go to it directly).
     */
    record Count(long scanNumber, long frameNumber, int position, boolean complete, int[] events,
                 ActorRef<Accepted> replyTo) implements Command {
    }

    record Accepted(long scanNumber, long frameNumber, ActorRef<Command> worker) implements ClusterMessage {
    }

    /** Send what is held for the scan; reply once every frame this worker took of it is stored. */
    record Flush(long scanNumber, ActorRef<Flushed> replyTo) implements Command {
    }

    record Flushed(long scanNumber, int partition, long framesStored) implements ClusterMessage {
    }

    /** Every frame of this batch is stored by the scan's writer and kept by its replica on another node. */
    record FramesStored(long scanNumber, long batch) implements Command {
    }

    /** The scan's file is committed or dropped: nothing more of it will be stored, its accounts here are final. */
    record ScanClosed(long scanNumber) implements Command {
    }

    /** Sharding moves the partition elsewhere: send what is held, stop once it is stored. */
    record HandOff() implements Command {
    }
}
