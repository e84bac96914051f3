package org.stemstream.node.nodehost;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stemstream.node.coordinator.SectorEntity;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.SectorProtocol;

/**
 * Every node's front door for the actor CLI, at the well-known path {@code /user/gateway}: the CLI reaches it over
 * remoting without joining the cluster, and it passes each request on: scan and membership requests to the scan
 * coordinator, sector health requests to the sector's entity, wherever they run.
 */
public final class Gateway {
    public static final String NAME = "gateway";

    private Gateway() {
    }

    public static Behavior<GatewayProtocol.Command> create(ActorRef<CoordinatorProtocol.Command> coordinator) {
        return Behaviors.setup(context -> Behaviors.receive(GatewayProtocol.Command.class)
                .onMessage(GatewayProtocol.GetSectorHealth.class, get -> {
                    if (get.sector() >= 0 && get.sector() < FrameGeometry.SECTORS) {
                        SectorEntity.of(context.getSystem(), get.sector())
                                .tell(new SectorProtocol.GetHealth(get.replyTo()));
                    } else {
                        get.replyTo().tell(new SectorProtocol.Health(get.sector(), java.util.List.of()));
                    }
                    return Behaviors.same();
                })
                .onMessage(GatewayProtocol.ForCoordinator.class, command -> {
                    coordinator.tell(command);
                    return Behaviors.same();
                })
                .build());
    }
}
