package org.stemstream.emulator;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.zeromq.ZContext;

/**
 * The detector's four receiver servers, emulated: one producer thread per sector, sending each frame to the node
 * that owns it in the cluster's routing table ({@code tcp://host:port+s} of that node). See docs/wire-protocol.md.
 */
public final class DetectorEmulator {
    /**
     * @param host              a node (its routing socket tells where each frame goes), or with {@code direct}
     *                          the one receiver that takes everything
     * @param framesPerSecond   the frame rate, or 0 for as fast as the nodes take them
     * @param sendTimeoutMillis how long a block may wait in all to be taken by a node, every try and routing fetch
     *                          included (and so the first routing table, and the ends of scan); past it the run
     *                          gives up with {@link NodesUnreachable}. -1: for ever (a block no node takes after
     *                          some tries counts as undeliverable; the first routing table may take 15 s)
     */
    public record Settings(String host, int port, boolean direct, double framesPerSecond, int sendHighWaterMark,
                           int sendTimeoutMillis, int lingerMillis) {
        /** Frames routed as the cluster's table says, fetched from this node; the facility's producer settings. */
        public static Settings to(String host, int port) {
            return new Settings(host, port, false, 0, 1000, -1, 60_000);
        }

        /** Every frame to one receiver with no routing table (a bare socket benchmark). */
        public static Settings directTo(String host, int port) {
            return new Settings(host, port, true, 0, 1000, -1, 60_000);
        }

        public Settings atRate(double fps) {
            return new Settings(host, port, direct, fps, sendHighWaterMark, sendTimeoutMillis, lingerMillis);
        }

        public Settings withSendHighWaterMark(int messages) {
            return new Settings(host, port, direct, framesPerSecond, messages, sendTimeoutMillis, lingerMillis);
        }

        public Settings withSendTimeout(int millis) {
            return new Settings(host, port, direct, framesPerSecond, sendHighWaterMark, millis, lingerMillis);
        }
    }

    /**
     * What was sent: blocks per sector, blocks no node would take (their owner died), and when the first and last
     * messages went.
     */
    public record Result(long[] blocksSent, long undeliverable, long startNanos, long lastSentNanos) {
        public double seconds() {
            return (lastSentNanos - startNanos) / 1e9;
        }
    }

    private DetectorEmulator() {
    }

    /**
     * Sends a whole scan from the four producers and returns when every producer has sent its end of scan.
     *
     * @throws NodesUnreachable when a producer gave up (see the send timeout); the others then stop too
     */
    public static Result run(FrameFeed feed, Settings settings, FaultInjection faults) throws Exception {
        return run(feed, settings, faults, Set.of(0, 1, 2, 3));
    }

    /** Runs only the producers of the given sectors (a receiver server restarted on its own, say). */
    public static Result run(FrameFeed feed, Settings settings, FaultInjection faults, Set<Integer> only)
            throws Exception {
        ExecutorService producers = Executors.newFixedThreadPool(SECTORS, r -> new Thread(r, "producer"));
        try (ZContext context = new ZContext(1)) {
            long begun = System.nanoTime();
            AcquisitionStart start = new AcquisitionStart(only.size());
            AtomicBoolean abandoned = new AtomicBoolean();
            List<SectorProducer> sectors = new ArrayList<>();
            List<Future<Long>> sent = new ArrayList<>();
            for (int s : only.stream().sorted().toList()) {
                SectorProducer producer = new SectorProducer(context, s, feed, settings, faults, start, abandoned);
                sectors.add(producer);
                sent.add(producers.submit(producer));
            }
            long[] blocks = new long[SECTORS];
            Exception failure = null;
            int i = 0;
            for (int s : only.stream().sorted().toList()) {
                try {
                    blocks[s] = sent.get(i++).get();
                } catch (ExecutionException e) { // every producer ends before the context closes: keep waiting
                    if (failure == null) {
                        failure = e.getCause() instanceof Exception cause ? cause : e;
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
            long started = start.nanos() > 0 ? start.nanos() : begun;
            long last = sectors.stream().mapToLong(SectorProducer::lastSentNanos).max().orElse(started);
            return new Result(blocks, sectors.stream().mapToLong(SectorProducer::undeliverable).sum(), started, last);
        } finally {
            producers.shutdownNow();
        }
    }
}
