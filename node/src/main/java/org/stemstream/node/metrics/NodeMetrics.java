package org.stemstream.node.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.stemstream.node.ingest.SectorBuffers;
import org.stemstream.node.ingest.SectorStats;
import org.stemstream.protocol.cluster.ScanView;

/**
 * A node's Prometheus metrics, one registry per node (several nodes may share a JVM in tests). The data path
 * increments counters and observes latencies where the work happens; what other parts already account for (sector
 * traffic, rejections, the buffer pool) is read when Prometheus scrapes. Served at {@code /metrics} by
 * {@link org.stemstream.node.http.NodeHttp}.
 *
 * <p>Frame counters of the data path are this node's work: a frame sent again after a node was lost is counted again
 * where it lands. The scan counters ({@code stemstream_scan_frames_total}) are the scans' own accounts, kept by the
 * node that coordinated them, and equal what {@code scan status} says.
 */
public final class NodeMetrics implements Extension {
    private static final ExtensionId<NodeMetrics> ID = new ExtensionId<>() {
        @Override
        public NodeMetrics createExtension(ActorSystem<?> system) {
            return new NodeMetrics();
        }
    };

    private final PrometheusRegistry registry = new PrometheusRegistry();

    private final Counter framesReceived = counter("stemstream_frames_received",
            "Frames assembled on this node that reached its counting step, complete or not");
    private final Counter framesCounted = counter("stemstream_frames_counted",
            "Frames counted by this node's kernel");
    private final Counter framesIncomplete = counter("stemstream_frames_incomplete",
            "Frames counted here with a sector missing");
    private final Counter eventsCounted = counter("stemstream_events_counted", "Electron events counted here");
    private final Counter framesStored = counter("stemstream_frames_stored",
            "Frames counted here whose events the scan's writer acknowledged as stored");
    private final Counter eventsStored = counter("stemstream_events_stored",
            "Events counted here that the scan's writer acknowledged as stored");
    private final Counter scans = Counter.builder().name("stemstream_scans")
            .help("Scans this node coordinated to their end, by final state").labelNames("state").register(registry);
    private final Counter scanFrames = Counter.builder().name("stemstream_scan_frames")
            .help("The frame accounts of the scans this node coordinated to their end, as their status gives them:"
                    + " counted (incomplete ones included), incomplete, missing")
            .labelNames("result").register(registry);
    private final Histogram countingSeconds = Histogram.builder().name("stemstream_frame_counting_seconds")
            .help("The kernel's time to count one frame").classicOnly()
            .classicUpperBounds(25e-6, 50e-6, 100e-6, 200e-6, 400e-6, 800e-6, 1.6e-3, 3.2e-3, 10e-3).register(registry);
    private final Histogram storeSeconds = Histogram.builder().name("stemstream_batch_store_seconds")
            .help("From a batch of counted frames sent to the scan's writer to its acknowledgement that it is stored")
            .classicOnly().classicUpperBounds(1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5,
                    5).register(registry);

    private NodeMetrics() {
        JvmMetrics.builder().register(registry);
    }

    public static NodeMetrics get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** Reads the sectors' traffic and rejections and the buffer pool's use whenever the metrics are scraped. */
    public void watch(List<SectorStats> sectors, SectorBuffers buffers) {
        CounterWithCallback.builder().name("stemstream_sector_messages")
                .help("Messages received on each detector sector's socket").labelNames("sector")
                .callback(c -> sectors.forEach(s -> c.call(s.messages(), label(s)))).register(registry);
        CounterWithCallback.builder().name("stemstream_sector_bytes")
                .help("Bytes received on each detector sector's socket").labelNames("sector")
                .callback(c -> sectors.forEach(s -> c.call(s.bytes(), label(s)))).register(registry);
        CounterWithCallback.builder().name("stemstream_rejected_messages")
                .help("Messages a sector's socket received and rejected, by reason").labelNames("sector", "reason")
                .callback(c -> sectors.forEach(s -> s.rejections().forEach((reason, n) -> c.call(n, label(s),
                        reason)))).register(registry);
        GaugeWithCallback.builder().name("stemstream_sector_producers")
                .help("Producers connected to each sector's socket").labelNames("sector")
                .callback(c -> sectors.forEach(s -> c.call(s.producersConnected(), label(s)))).register(registry);
        GaugeWithCallback.builder().name("stemstream_sector_buffers_in_use")
                .help("Sector payload buffers held now by ZeroMQ's queues, the assembler and the counting step")
                .callback(c -> c.call(buffers.inUse())).register(registry);
        GaugeWithCallback.builder().name("stemstream_sector_buffers")
                .help("Sector payload buffers the pool was made with").callback(c -> c.call(buffers.capacity()))
                .register(registry);
        CounterWithCallback.builder().name("stemstream_sector_buffer_misses")
                .help("Sector buffers made because the pool was empty").callback(c -> c.call(buffers.misses()))
                .register(registry);
    }

    /** A frame the counting step took: assembled here, counted when it had a plan, in {@code nanos}. */
    public void frameCounted(boolean complete, int events, long nanos) {
        framesReceived.inc();
        framesCounted.inc();
        eventsCounted.inc(events);
        if (!complete) {
            framesIncomplete.inc();
        }
        countingSeconds.observe(nanos / 1e9);
    }

    /** A frame the counting step passed on uncounted (its scan failed or was cancelled). */
    public void frameNotCounted() {
        framesReceived.inc();
    }

    /** A batch this node's worker sent was stored, {@code nanos} after it was sent. */
    public void batchStored(int frames, int events, long nanos) {
        framesStored.inc(frames);
        eventsStored.inc(events);
        storeSeconds.observe(nanos / 1e9);
    }

    /** A scan this node coordinated reached its final state. */
    public void scanFinished(ScanView view) {
        scans.labelValues(view.state().name().toLowerCase(java.util.Locale.ROOT)).inc();
        scanFrames.labelValues("counted").inc(view.framesCounted());
        scanFrames.labelValues("incomplete").inc(view.framesIncomplete());
        scanFrames.labelValues("missing").inc(view.framesMissing());
    }

    private Counter counter(String name, String help) {
        return Counter.builder().name(name).help(help).register(registry);
    }

    private static String label(SectorStats s) {
        return Integer.toString(s.sector());
    }
}
