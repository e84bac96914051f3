package org.stemstream.protocol.cluster;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** What the actor CLI asks any node's gateway ({@code /user/gateway}), and the answers. */
public interface GatewayProtocol {
    sealed interface Command extends ClusterMessage {
    }

    /** The requests the scan coordinator answers (the gateway passes them on as they are). */
    sealed interface ForCoordinator extends Command, CoordinatorProtocol.Command {
    }

    record StartScan(ScanRequest request, ActorRef<ScanReply> replyTo) implements ForCoordinator {
    }

    record GetScan(long scanNumber, ActorRef<ScanReply> replyTo) implements ForCoordinator {
    }

    record CancelScan(long scanNumber, ActorRef<ScanReply> replyTo) implements ForCoordinator {
    }

    /** Replies when the scan has reached Done, Failed or Cancelled. */
    record WhenFinished(long scanNumber, ActorRef<ScanReply> replyTo) implements ForCoordinator {
    }

    record ListScans(ActorRef<ScanList> replyTo) implements ForCoordinator {
    }

    /** Answered by the coordinator, where heartbeats and the routing table are known. */
    record GetMembers(ActorRef<Members> replyTo) implements ForCoordinator {
    }

    /** Answered by the coordinator: every partition's counting worker, its node and its accounts. */
    record GetPartitions(ActorRef<Partitions> replyTo) implements ForCoordinator {
    }

    /**
     * One of a running scan's pictures, answered by its writer: the scan picture (virtual bright field, annular dark
     * field, centre of mass x and y, one pixel a position) with these radii in detector pixels (all 0: the scan's
     * own), or ({@code pattern}) the summed diffraction pattern binned 2 x 2. Small enough for one remote message.
     */
    record GetPictures(long scanNumber, boolean pattern, int brightField, int darkFieldInner, int darkFieldOuter,
                       ActorRef<PicturesReply> replyTo) implements ForCoordinator {
    }

    sealed interface PicturesReply extends ClusterMessage {
    }

    /** A PNG image, and the beam centre and radii the scan picture is made with. */
    record Picture(long scanNumber, byte[] png, double centreRow, double centreCol, int brightField,
                   int darkFieldInner, int darkFieldOuter) implements PicturesReply {
    }

    /** No picture to make: the scan has no file open (a done scan's pictures are beside its file), or why not. */
    record NoPictures(String reason) implements PicturesReply {
    }

    /** Answered by the sector's entity, wherever its shard lives. */
    record GetSectorHealth(int sector, ActorRef<SectorProtocol.Health> replyTo) implements Command {
    }

    sealed interface ScanReply extends ClusterMessage {
    }

    record ScanFound(ScanView view) implements ScanReply {
    }

    /** A refused or failed request, with the reason for the operator. */
    record ScanRefused(String reason) implements ScanReply {
    }

    record ScanList(List<ScanView> scans) implements ClusterMessage {
        public ScanList {
            scans = new ArrayList<>(scans);
        }
    }

    /** The cluster's members as the answering node sees them. */
    record Members(List<Member> members, long routingEpoch) implements ClusterMessage {
        public Members {
            members = new ArrayList<>(members);
        }
    }

    record Partitions(List<Partition> partitions, long routingEpoch) implements ClusterMessage {
        public Partitions {
            partitions = new ArrayList<>(partitions);
        }
    }

    /**
     * A counting worker as the routing table places it, with what its workers reported over every scan.
     *
     * @param lastScan the last scan it counted frames of, -1 before any
     */
    record Partition(int partition, String node, long lastScan, long framesCounted, long framesIncomplete,
                     long eventsSent, long eventsStored) implements ClusterMessage {
    }

    /**
     * @param ingress         the member's sector sockets, {@code host:port}, or empty while unknown
     * @param countingThreads the threads the member counts frames on (0 while unknown)
     * @param framesPerSecond frames counted per second just now, over all its scans
     */
    record Member(String address, List<String> roles, String status, boolean reachable, long upForSeconds,
                  int partitions, String ingress, int countingThreads, double framesPerSecond)
            implements ClusterMessage {
        public Member {
            roles = new ArrayList<>(roles);
        }
    }
}
