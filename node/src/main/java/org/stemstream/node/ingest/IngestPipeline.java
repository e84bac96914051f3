package org.stemstream.node.ingest;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.ClosedShape;
import org.apache.pekko.stream.UniformFanInShape;
import org.apache.pekko.stream.javadsl.GraphDSL;
import org.apache.pekko.stream.javadsl.RunnableGraph;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.stemstream.node.ingest.SectorBuffers;
import org.stemstream.node.ingest.SectorMessage;
import org.stemstream.node.ingest.SectorReceiver;
import org.stemstream.node.ingest.SectorSource;
import org.stemstream.node.ingest.SectorStats;
import org.stemstream.node.nodehost.ScanDirectory;
import org.stemstream.node.nodehost.ScanSession;

/**
 * The node's data path, one stream for all scans:
 *
 * <pre>
 * 4 sector sources (one PULL socket each) -> frame assembler -> threshold gate -> counting (N threads) -> scan ends
 * </pre>
 *
 * Every stage is bounded and demand-driven; see docs/backpressure.md.
 */
public final class IngestPipeline {
    /** Messages each sector's receiver may read ahead of the stream's demand. */
    private static final int SOURCE_PREFETCH = 4;

    /** The bounds of the stream. */
    /** @param countingDelay a test hook: extra time spent on each frame in the counting step */
    public record Settings(int maxOpenFrames, Duration frameTimeout, int calibrationFrames, int countingParallelism,
                           Duration countingDelay) {
    }

    private IngestPipeline() {
    }

    public static void run(ActorSystem<?> system, List<SectorReceiver> receivers, ScanDirectory scans,
                           SectorBuffers buffers, SectorStats[] stats, Settings settings, Executor counting,
                           Consumer<ScanSession> inputEnded) {
        FrameCounting counter = new FrameCounting(buffers, settings.countingDelay());
        RunnableGraph<NotUsed> graph = RunnableGraph.fromGraph(GraphDSL.create(b -> {
            UniformFanInShape<SectorMessage, Assembled> assembler = b.add(new FrameAssembler(scans, buffers, stats,
                    settings.maxOpenFrames(), settings.frameTimeout()));
            for (SectorReceiver receiver : receivers) {
                b.from(b.add(Source.fromGraph(new SectorSource(receiver, SOURCE_PREFETCH)))).toInlet(assembler.in(receiver.sector()));
            }
            b.from(assembler.out())
                    .via(b.add(org.apache.pekko.stream.javadsl.Flow.fromGraph(
                            new ThresholdGate(settings.calibrationFrames()))))
                    .via(b.add(org.apache.pekko.stream.javadsl.Flow.<Assembled>create().mapAsync(
                            settings.countingParallelism(),
                            element -> CompletableFuture.supplyAsync(() -> counter.process(element), counting))))
                    .to(b.add(Sink.<Assembled>foreach(element -> {
                        if (element instanceof Assembled.InputEnded ended) {
                            inputEnded.accept(ended.session());
                        }
                    })));
            return ClosedShape.getInstance();
        }));
        graph.run(system);
    }
}
