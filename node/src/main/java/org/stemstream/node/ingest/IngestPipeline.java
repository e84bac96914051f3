package org.stemstream.node.ingest;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.ClosedShape;
import org.apache.pekko.stream.FanInShape2;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.UniformFanInShape;
import org.apache.pekko.stream.UniformFanOutShape;
import org.apache.pekko.stream.javadsl.Broadcast;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.GraphDSL;
import org.apache.pekko.stream.javadsl.RunnableGraph;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.stemstream.node.metrics.NodeMetrics;
import org.stemstream.protocol.cluster.WorkerProtocol;

/**
 * The node's data path, one stream for all scans:
 *
 * <pre>
 * 4 sector sources (one PULL socket each) --+
 * scan control (from the host) --broadcast--+-> frame assembler -> threshold gate -> counting (N threads)
 *                                 +------------------------------------^              -> counting workers -> end marks
 * </pre>
 *
 * Every stage is bounded and demand-driven; see docs/backpressure.md.
 */
public final class IngestPipeline {
    /** Control messages waiting to enter the stream; the stages take them at once, so this never fills. */
    private static final int CONTROL_BUFFER = 1024;

    /**
     * The bounds of the stream.
     *
     * @param countingDelay a test hook: extra time spent on each frame in the counting step
     */
    public record Settings(int maxOpenFrames, Duration frameTimeout, int calibrationFrames, int countingParallelism,
                           int partitions, Duration countingDelay) {
    }

    private IngestPipeline() {
    }

    /**
     * Runs the stream; returns where the host sends its scan control.
     *
     * @param sectors the four sector sources, by sector
     * @param workers the counting worker of a partition
     * @param reports where the stream's accounts, samples, failures and end marks go
     */
    public static ActorRef<ScanControl> run(ActorSystem<?> system, List<Source<SectorMessage, ?>> sectors,
                                            SectorBuffers buffers, SectorStats[] stats, Settings settings,
                                            Executor counting,
                                            IntFunction<EntityRef<WorkerProtocol.Command>> workers,
                                            ActorRef<IngestReport> reports) {
        FrameCounting counter = new FrameCounting(buffers, reports, NodeMetrics.get(system), settings.countingDelay());
        Source<ScanControl, ActorRef<ScanControl>> control = ActorSource.actorRef(c -> false,
                c -> java.util.Optional.empty(), CONTROL_BUFFER, OverflowStrategy.fail());
        RunnableGraph<ActorRef<ScanControl>> graph = RunnableGraph.fromGraph(GraphDSL.create(control, (b, commands) -> {
            UniformFanInShape<IngestInput, Assembled> assembler = b.add(new FrameAssembler(buffers, stats, reports,
                    settings.maxOpenFrames(), settings.frameTimeout()));
            FanInShape2<Assembled, ScanControl, Assembled> gate = b.add(
                    new ThresholdGate(settings.calibrationFrames(), reports));
            UniformFanOutShape<ScanControl, ScanControl> toBoth = b.add(Broadcast.create(2));
            for (int s = 0; s < sectors.size(); s++) {
                b.from(b.add(sectors.get(s))).toInlet(assembler.in(s));
            }
            b.from(commands).toFanOut(toBoth);
            b.from(toBoth.out(0)).toInlet(assembler.in(FrameAssembler.CONTROL));
            b.from(toBoth.out(1)).toInlet(gate.in1());
            b.from(assembler.out()).toInlet(gate.in0());
            b.from(gate.out())
                    .via(b.add(Flow.<Assembled>create().mapAsync(settings.countingParallelism(),
                            element -> CompletableFuture.supplyAsync(() -> counter.process(element), counting))))
                    .via(b.add(new WorkerHop(settings.partitions(), workers, reports)))
                    .to(b.add(Sink.<Assembled>foreach(element -> {
                        if (element instanceof Assembled.InputEnded ended) {
                            reports.tell(new IngestReport.InputEnded(ended.scan().scanNumber()));
                        }
                    })));
            return ClosedShape.getInstance();
        }));
        return graph.run(system);
    }
}
