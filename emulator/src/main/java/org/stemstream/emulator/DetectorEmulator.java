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
import org.stemstream.producer.NodesUnreachable;
import org.stemstream.producer.SectorSender;
import org.stemstream.producer.SenderSettings;
import org.stemstream.protocol.security.ProducerKey;
import org.zeromq.ZContext;

/**
 * The detector's four receiver servers, emulated: one producer thread per sector, each running the producer
 * library's {@link SectorSender} for its sector. See docs/wire-protocol.md.
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
     * @param retentionBytes    per sector, the most block bytes kept until their frames are stored (0: none)
     * @param producerKey       the deployment's producer key, for nodes with security on (null: off)
     * @param encrypt           whether sealed payloads are also encrypted
     */
    public record Settings(String host, int port, boolean direct, double framesPerSecond, int sendHighWaterMark,
                           int sendTimeoutMillis, int lingerMillis, long retentionBytes, ProducerKey producerKey,
                           boolean encrypt) {
        /** How long, after its last block, a sector waits for the cluster to store what it keeps. */
        static final int ACK_TIMEOUT_MILLIS = 60_000;

        /** Frames routed as the cluster's table says, fetched from this node; the facility's producer settings. */
        public static Settings to(String host, int port) {
            return new Settings(host, port, false, 0, 1000, -1, 60_000, SenderSettings.DEFAULT_RETENTION_BYTES, null,
                    false);
        }

        /** Every frame to one receiver with no routing table (a bare socket benchmark). */
        public static Settings directTo(String host, int port) {
            return new Settings(host, port, true, 0, 1000, -1, 60_000, 0, null, false);
        }

        public Settings atRate(double fps) {
            return new Settings(host, port, direct, fps, sendHighWaterMark, sendTimeoutMillis, lingerMillis,
                    retentionBytes, producerKey, encrypt);
        }

        public Settings withSendHighWaterMark(int messages) {
            return new Settings(host, port, direct, framesPerSecond, messages, sendTimeoutMillis, lingerMillis,
                    retentionBytes, producerKey, encrypt);
        }

        public Settings withSendTimeout(int millis) {
            return new Settings(host, port, direct, framesPerSecond, sendHighWaterMark, millis, lingerMillis,
                    retentionBytes, producerKey, encrypt);
        }

        public Settings withRetention(long bytes) {
            return new Settings(host, port, direct, framesPerSecond, sendHighWaterMark, sendTimeoutMillis,
                    lingerMillis, bytes, producerKey, encrypt);
        }

        /** Sessions with the nodes, every message sealed with the producer key; payloads encrypted if asked. */
        public Settings withSecurity(ProducerKey key, boolean encryptPayloads) {
            return new Settings(host, port, direct, framesPerSecond, sendHighWaterMark, sendTimeoutMillis,
                    lingerMillis, retentionBytes, key, encryptPayloads);
        }

        SenderSettings sender() {
            return new SenderSettings(host, port, direct, sendHighWaterMark, sendTimeoutMillis, lingerMillis,
                    retentionBytes, ACK_TIMEOUT_MILLIS, producerKey, encrypt);
        }
    }

    /**
     * What was sent: blocks per sector, blocks no node would take (their owner died), blocks sent again to a lost
     * node's successor, the waits for a full retention, blocks whose frames no node said were stored by the end, the
     * most bytes one sector kept, and when the first and the last block went (the ends of scan follow once the
     * blocks kept are stored); answers about stored frames refused for a seal that did not match (security on);
     * blocks held back while their node was silent, and the longest one block kept its producer waiting.
     */
    public record Result(long[] blocksSent, long undeliverable, long replayed, long retentionWaits,
                         long unacknowledged, long peakRetainedBytes, long startNanos, long lastSentNanos,
                         long forgedAnswers, long heldBack, long longestSendNanos) {
        public double seconds() {
            return (lastSentNanos - startNanos) / 1e9;
        }

        public double longestSendSeconds() {
            return longestSendNanos / 1e9;
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
            List<SectorSender.Stats> stats = sectors.stream().map(SectorProducer::stats).toList();
            return new Result(blocks, stats.stream().mapToLong(SectorSender.Stats::undeliverable).sum(),
                    stats.stream().mapToLong(SectorSender.Stats::replayed).sum(),
                    stats.stream().mapToLong(SectorSender.Stats::retentionWaits).sum(),
                    stats.stream().mapToLong(SectorSender.Stats::unacknowledged).sum(),
                    stats.stream().mapToLong(SectorSender.Stats::peakRetainedBytes).max().orElse(0), started, last,
                    stats.stream().mapToLong(SectorSender.Stats::forgedAnswers).sum(),
                    stats.stream().mapToLong(SectorSender.Stats::heldBack).sum(),
                    stats.stream().mapToLong(SectorSender.Stats::longestSendNanos).max().orElse(0));
        } finally {
            producers.shutdownNow();
        }
    }
}
