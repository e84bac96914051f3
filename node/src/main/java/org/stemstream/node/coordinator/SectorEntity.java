package org.stemstream.node.coordinator;

import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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

    static Behavior<SectorProtocol.Command> create(int sector) {
        Map<String, SectorProtocol.Report> nodes = new TreeMap<>();
        return Behaviors.receive(SectorProtocol.Command.class)
                .onMessage(SectorProtocol.Report.class, report -> {
                    nodes.put(report.node(), report);
                    return Behaviors.same();
                })
                .onMessage(SectorProtocol.GetHealth.class, get -> {
                    get.replyTo().tell(new SectorProtocol.Health(sector, java.util.List.copyOf(nodes.values())));
                    return Behaviors.same();
                })
                .build();
    }
}
