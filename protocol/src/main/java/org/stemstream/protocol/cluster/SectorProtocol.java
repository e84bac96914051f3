package org.stemstream.protocol.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/** What a detector sector's entity (sharded, one per sector) hears: each node's account of the sector. */
public interface SectorProtocol {
    interface Command extends ClusterMessage {
    }

    /**
     * A node's account of one sector since it started: messages and bytes taken, messages rejected by reason, how
     * long ago the last message came, and how many of the sector's producers are connected to the node now.
     */
    record Report(int sector, String node, long messages, long bytes, Map<String, Long> rejected, long idleMillis,
                  int producersConnected) implements Command {
        public Report {
            rejected = new LinkedHashMap<>(rejected);
        }
    }

    record GetHealth(ActorRef<Health> replyTo) implements Command {
    }

    /** The sector across the cluster: every node's latest report. */
    record Health(int sector, List<Report> nodes) implements ClusterMessage {
        public Health {
            nodes = new ArrayList<>(nodes);
        }

        public long messages() {
            return nodes.stream().mapToLong(Report::messages).sum();
        }

        public long bytes() {
            return nodes.stream().mapToLong(Report::bytes).sum();
        }

        public Map<String, Long> rejected() {
            Map<String, Long> all = new LinkedHashMap<>();
            nodes.forEach(n -> n.rejected().forEach((reason, count) -> all.merge(reason, count, Long::sum)));
            return all;
        }
    }
}
