package org.stemstream.node.nodehost;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.agrona.collections.LongHashSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.ReplicaProtocol;
import org.stemstream.protocol.cluster.WorkerProtocol;
import org.stemstream.protocol.cluster.WriterProtocol;

/**
 * A copy of one scan's stored events on a node other than the writer's, kept until the scan is closed: the writer
 * sends it every batch it stores, and a batch counts as stored (its worker is told, and the producers free its
 * blocks) only once it is here too. If the writer's node dies, the coordinator that takes over has this copy sent to
 * its new writer, so that every frame acknowledged before is in the file.
 */
final class ScanReplica extends AbstractBehavior<ReplicaProtocol.Command> {
    /** A copy nobody asked for in this long (its scan was never resumed nor released) is dropped. */
    private static final Duration FORGOTTEN_AFTER = Duration.ofMinutes(30);

    private final long scanNumber;
    private final String node;
    private final List<WriterProtocol.Frames> kept = new ArrayList<>();
    /** The batches kept, by worker: a batch that comes again is acknowledged again and kept once. */
    private final Map<ActorRef<WorkerProtocol.Command>, LongHashSet> batches = new HashMap<>();
    private long events;

    static Behavior<ReplicaProtocol.Command> create(long scanNumber, String node) {
        return Behaviors.setup(context -> {
            context.setReceiveTimeout(FORGOTTEN_AFTER, new ReplicaProtocol.Release(scanNumber));
            return new ScanReplica(context, scanNumber, node);
        });
    }

    private ScanReplica(ActorContext<ReplicaProtocol.Command> context, long scanNumber, String node) {
        super(context);
        this.scanNumber = scanNumber;
        this.node = node;
    }

    @Override
    public Receive<ReplicaProtocol.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(WriterProtocol.Frames.class, this::onFrames)
                .onMessage(ReplicaProtocol.Restore.class, this::onRestore)
                .onMessage(ReplicaProtocol.Release.class, release -> Behaviors.stopped())
                .build();
    }

    private Behavior<ReplicaProtocol.Command> onFrames(WriterProtocol.Frames frames) {
        if (batches.computeIfAbsent(frames.storedTo(), w -> new LongHashSet()).add(frames.batch())) {
            kept.add(frames);
            events += frames.events().length;
        }
        frames.storedTo().tell(new WorkerProtocol.FramesStored(frames.scanNumber(), frames.batch()));
        return this;
    }

    private Behavior<ReplicaProtocol.Command> onRestore(ReplicaProtocol.Restore restore) {
        getContext().getLog().info("scan {}: sending the {} batches ({} events) kept here to its new writer",
                scanNumber, kept.size(), events);
        kept.forEach(restore.writer()::tell);
        restore.replyTo().tell(new CoordinatorProtocol.Restored(scanNumber, node, kept.size()));
        return this;
    }
}
