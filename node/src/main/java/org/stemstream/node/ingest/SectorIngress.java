package org.stemstream.node.ingest;

import java.time.Duration;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.stream.javadsl.Source;
import org.stemstream.protocol.cluster.SectorProtocol;

/**
 * One detector sector's ingress on this node: owns the sector's {@link SectorReceiver} (its bound PULL socket and the
 * one thread that reads it), gives the node's stream its source, sends the sector's account on this node to the
 * sector's entity, and closes the socket when it stops (by closing, never by interrupt).
 */
public final class SectorIngress extends AbstractBehavior<SectorIngress.Command> {
    /** Messages each receiver may read ahead of the stream's demand: hides the hop from its thread. */
    private static final int SOURCE_PREFETCH = 4;
    private static final Duration REPORT_INTERVAL = Duration.ofSeconds(1);

    public sealed interface Command {
    }

    /** Close the socket and stop; replies when the reading thread has ended. */
    public record Stop(ActorRef<Done> replyTo) implements Command {
    }

    private record Report() implements Command {
    }

    private final SectorReceiver receiver;
    private final SectorStats stats;
    private final String node;
    private final RecipientRef<SectorProtocol.Command> sectorEntity;

    /** The stream source over a receiver: reads only as the stream asks. */
    public static Source<SectorMessage, ?> source(SectorReceiver receiver) {
        return Source.fromGraph(new SectorSource(receiver, SOURCE_PREFETCH));
    }

    /**
     * @param node         this node's address, as the sector's entity lists it
     * @param sectorEntity the sector's entity (wherever sharding runs it)
     */
    public static Behavior<Command> create(SectorReceiver receiver, SectorStats stats, String node,
                                           RecipientRef<SectorProtocol.Command> sectorEntity) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Report(), REPORT_INTERVAL);
            return new SectorIngress(context, receiver, stats, node, sectorEntity);
        }));
    }

    private SectorIngress(ActorContext<Command> context, SectorReceiver receiver, SectorStats stats, String node,
                          RecipientRef<SectorProtocol.Command> sectorEntity) {
        super(context);
        this.receiver = receiver;
        this.stats = stats;
        this.node = node;
        this.sectorEntity = sectorEntity;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Report.class, this::onReport)
                .onMessage(Stop.class, this::onStop)
                .onSignal(PostStop.class, stopped -> {
                    receiver.close();
                    return this;
                })
                .build();
    }

    private Behavior<Command> onReport(Report report) {
        sectorEntity.tell(new SectorProtocol.Report(stats.sector(), node, stats.messages(), stats.bytes(),
                stats.rejections(), stats.millisSinceLastMessage(), stats.producersConnected()));
        return this;
    }

    private Behavior<Command> onStop(Stop stop) {
        receiver.close();
        stop.replyTo().tell(Done.getInstance());
        return Behaviors.stopped();
    }
}
