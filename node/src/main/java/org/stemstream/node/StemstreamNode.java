package org.stemstream.node;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.stemstream.node.counting.FrameListener;
import org.stemstream.node.ingress.SectorBuffers;
import org.stemstream.node.ingress.SectorReceiver;
import org.stemstream.node.ingress.SectorStats;
import org.stemstream.node.scan.ScanCoordinator;
import org.stemstream.node.scan.ScanDirectory;
import org.stemstream.node.scan.ScanSpec;
import org.stemstream.node.scan.ScanStatus;
import org.stemstream.node.stream.IngestPipeline;
import org.zeromq.ZContext;

/**
 * A running stemstream node: an actor system in a Pekko cluster, the four sector receivers, the ingest stream and
 * the scan coordinator. Closing it stops the receivers (by flag, not interrupt), then ZeroMQ, then the actor system.
 */
public final class StemstreamNode implements AutoCloseable {
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

    private final ActorSystem<ScanCoordinator.Command> system;
    private final NodeSettings settings;
    private final ZContext zmq;
    private final List<SectorReceiver> receivers = new ArrayList<>();
    private final SectorStats[] stats = new SectorStats[SECTORS];
    private final SectorBuffers buffers;

    private StemstreamNode(Config config) {
        this.settings = NodeSettings.from(config);
        ScanDirectory directory = new ScanDirectory();
        this.buffers = new SectorBuffers(settings.bufferPool());
        this.zmq = new ZContext(1);
        try {
            for (int s = 0; s < SECTORS; s++) {
                stats[s] = new SectorStats(s);
                receivers.add(new SectorReceiver(zmq, s, settings.sectorEndpoint(s), settings.receiveHighWaterMark(),
                        buffers, directory, stats[s]));
            }
        } catch (RuntimeException e) {
            receivers.forEach(SectorReceiver::close);
            zmq.close();
            throw new IllegalStateException("cannot bind the sector sockets from " + settings.sectorEndpoint(0)
                    + ": " + e.getMessage() + " (is another node using these ports?)", e);
        }
        this.system = ActorSystem.create(Behaviors.setup(context -> {
            Executor blockingIo = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
            return ScanCoordinator.create(directory, blockingIo, settings.stream().calibrationFrames());
        }), "stemstream", config);
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        Executor counting = system.dispatchers().lookup(DispatcherSelector.fromConfig("stemstream.counting-dispatcher"));
        IngestPipeline.run(system, receivers, directory, buffers, stats, settings.stream(), counting,
                session -> system.tell(new ScanCoordinator.InputEnded(session)));
    }

    /** Starts a node with the given configuration (the {@code stemstream} and {@code pekko} sections). */
    public static StemstreamNode start(Config config) {
        return new StemstreamNode(config);
    }

    public NodeSettings settings() {
        return settings;
    }

    public SectorStats sectorStats(int sector) {
        return stats[sector];
    }

    public SectorBuffers buffers() {
        return buffers;
    }

    public ActorRef<ScanCoordinator.Command> coordinator() {
        return system;
    }

    /** Starts a scan; completes with the reason when the node refuses it. */
    public CompletionStage<ScanCoordinator.StartReply> startScan(ScanSpec spec, FrameListener listener) {
        return AskPattern.ask(system, reply -> new ScanCoordinator.Start(spec, listener, reply), ASK_TIMEOUT,
                system.scheduler());
    }

    public CompletionStage<ScanCoordinator.StatusReply> status(long scanNumber) {
        return AskPattern.ask(system, reply -> new ScanCoordinator.GetStatus(scanNumber, reply), ASK_TIMEOUT,
                system.scheduler());
    }

    public CompletionStage<ScanCoordinator.StatusReply> cancel(long scanNumber) {
        return AskPattern.ask(system, reply -> new ScanCoordinator.Cancel(scanNumber, reply), ASK_TIMEOUT,
                system.scheduler());
    }

    /** Completes when the scan is done, failed or cancelled. */
    public CompletionStage<ScanCoordinator.StatusReply> whenFinished(long scanNumber, Duration timeout) {
        return AskPattern.ask(system, reply -> new ScanCoordinator.WhenFinished(scanNumber, reply), timeout,
                system.scheduler());
    }

    /** The status of a scan, waiting at most the ask timeout. */
    public ScanStatus statusNow(long scanNumber) {
        ScanCoordinator.StatusReply reply = status(scanNumber).toCompletableFuture().join();
        if (reply instanceof ScanCoordinator.Known known) {
            return known.status();
        }
        throw new IllegalArgumentException("no scan " + scanNumber + " on this node");
    }

    @Override
    public void close() {
        receivers.forEach(SectorReceiver::close);
        zmq.close();
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().join();
    }
}
