package org.stemstream.node.scan;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;

/**
 * Every node's front door for the actor CLI, at the well-known path {@code /user/gateway}: the CLI reaches it over
 * remoting without joining the cluster, and it passes each request to the scan coordinator, wherever that runs.
 */
public final class Gateway {
    public static final String NAME = "gateway";

    private Gateway() {
    }

    public static Behavior<GatewayProtocol.Command> create(ActorRef<CoordinatorProtocol.Command> coordinator) {
        return Behaviors.receive(GatewayProtocol.Command.class)
                .onMessage(GatewayProtocol.Command.class, command -> {
                    coordinator.tell((CoordinatorProtocol.Command) command);
                    return Behaviors.same();
                })
                .build();
    }
}
