package org.stemstream.node.coordinator;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.stemstream.protocol.cluster.SectorProtocol;

/**
 * A detector sector as the cluster sees it: a sharded entity, one per sector, holding every node's latest account of
 * the sector (messages, bytes, rejections by reason, how recently it last heard from the receiver). Operators read its
 * health with {@code stemstream sectors}. It holds no pixels and sits on no data path: moving its shard costs nothing.
 */
public final class SectorEntity {
    public static final EntityTypeKey<SectorProtocol.Command> TYPE_KEY =
            EntityTypeKey.create(SectorProtocol.Command.class, "sector");

    private SectorEntity() {
    }

    public static void initSharding(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY,
                entity -> create(Integer.parseInt(entity.getEntityId()))));
    }

    public static EntityRef<SectorProtocol.Command> of(ActorSystem<?> system, int sector) {
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, Integer.toString(sector));
    }

    /** A node's report and when it came. */
    private record Received(SectorProtocol.Report report, long atNanos) {
        /** The report as of now: the time since the node last heard from the sector grows while no report comes. */
        SectorProtocol.Report now() {
            long since = (System.nanoTime() - atNanos) / 1_000_000;
            return new SectorProtocol.Report(report.sector(), report.node(), report.messages(), report.bytes(),
                    report.rejected(), report.idleMillis() < 0 ? -1 : report.idleMillis() + since,
                    report.producersConnected());
        }
    }

    static Behavior<SectorProtocol.Command> create(int sector) {
        return Behaviors.setup(context -> {
            Map<String, Received> nodes = new TreeMap<>();
            Cluster cluster = Cluster.get(context.getSystem());
            return Behaviors.receive(SectorProtocol.Command.class)
                    .onMessage(SectorProtocol.Report.class, report -> {
                        nodes.put(report.node(), new Received(report, System.nanoTime()));
                        return Behaviors.same();
                    })
                    .onMessage(SectorProtocol.GetHealth.class, get -> {
                        // a node that left receives nothing: it is no part of the sector's health
                        Set<String> members = new HashSet<>();
                        cluster.state().getMembers().forEach(m -> members.add(m.address().toString()));
                        nodes.keySet().retainAll(members);
                        get.replyTo().tell(new SectorProtocol.Health(sector,
                                nodes.values().stream().map(Received::now).toList()));
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
