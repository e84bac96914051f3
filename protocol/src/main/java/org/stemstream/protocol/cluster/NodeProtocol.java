package org.stemstream.protocol.cluster;

import org.apache.pekko.actor.typed.ActorRef;

/** What a node's host actor hears from the coordinator. */
public interface NodeProtocol {
    interface Command extends ClusterMessage {
    }

    /** Take blocks of this scan from now on. */
    record OpenScan(ScanRequest request) implements Command {
    }

    /**
     * Keep a copy of the scan's stored events on this node until the scan is closed, so that they outlive the
     * writer's node; {@code replyTo} hears {@link CoordinatorProtocol.ReplicaReady}.
     */
    record KeepReplica(long scanNumber, ActorRef<CoordinatorProtocol.Command> replyTo) implements Command {
    }

    /** The scan's thresholds, decided from the samples of every node. */
    record UseThresholds(long scanNumber, double background, double xray) implements Command {
    }

    /**
     * A coordinator that took over a scan still computing its thresholds asks for the samples sent to its predecessor
     * again.
     */
    record SendSamples(long scanNumber) implements Command {
    }

    /** Stop taking the scan's blocks, count what is held, report the end (cancel: discard instead). */
    record EndScanInput(long scanNumber, boolean cancel) implements Command {
    }
}
