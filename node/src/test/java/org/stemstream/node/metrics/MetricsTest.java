package org.stemstream.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.node.CliRun;
import org.stemstream.node.FreePorts;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.UnsealedPush;
import org.stemstream.node.cli.Scans;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * A real Prometheus server scrapes a node's {@code /metrics} every second while a scan streams in: it parses every
 * scrape, sees the counts grow during the scan, and at the end the node's counters equal the scan's status. A secured
 * node is scraped over HTTPS, as docs/security.md says.
 */
class MetricsTest {
    private static final int W = 32;
    private static final int H = 32;

    @TempDir
    Path dir;

    @Test
    void prometheusScrapesTheNodeDuringAScanAndItsCountersEndEqualToTheStatus() throws Exception {
        int http = FreePorts.any();
        SyntheticScan scan = new SyntheticScan(5, W, H, 1, SyntheticDetector.typical(3), 32);
        try (StemstreamNode node = TestNodes.node(TestNodes.httpOn(http));
             PrometheusServer prometheus = PrometheusServer.scraping("127.0.0.1:" + http, dir)) {
            assertTrue(TestNodes.eventually(Duration.ofSeconds(30),
                    () -> prometheus.value("up{job=\"stemstream\"}") == 1.0), "Prometheus scrapes the node");

            TestNodes.start(node, Scans.given(5, W, H, 29, 400, dir.resolve("scraped.h5"), 20));
            DetectorEmulator.run(new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()).atRate(150),
                    FaultInjection.NONE); // about 7 s: several scrapes while it runs
            ScanView status = TestNodes.awaitFinished(node, 5, Duration.ofSeconds(60));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());

            Map<String, Double> expected = Map.of(
                    "stemstream_scan_frames_total{result=\"counted\"}", (double) status.framesCounted(),
                    "stemstream_scan_frames_total{result=\"incomplete\"}", (double) status.framesIncomplete(),
                    "stemstream_scan_frames_total{result=\"missing\"}", (double) status.framesMissing(),
                    "stemstream_scans_total{state=\"done\"}", 1.0,
                    "stemstream_frames_counted_total", (double) status.framesCounted(),
                    "stemstream_frames_stored_total", (double) status.framesCounted(),
                    "stemstream_events_stored_total", (double) status.events(),
                    "sum(stemstream_sector_messages_total)", 4.0 * (W * H + 1), // each sector's blocks and its end
                    "stemstream_frame_counting_seconds_count", (double) status.framesCounted());
            for (Map.Entry<String, Double> e : expected.entrySet()) {
                double[] last = {Double.NaN};
                boolean equal = TestNodes.eventually(Duration.ofSeconds(20), () -> {
                    last[0] = prometheus.value(e.getKey());
                    return last[0] == e.getValue();
                });
                assertTrue(equal, e.getKey() + " is " + last[0] + " in Prometheus, the status says " + e.getValue()
                        + "\n" + prometheus.log());
            }
            // scraped while the scan ran: a sample between none counted and all of them
            List<Double> samples = prometheus.query("stemstream_frames_counted_total[5m]");
            assertTrue(samples.stream().anyMatch(v -> v > 0 && v < W * H), "samples during the scan: " + samples);
        }
    }

    @Test
    void prometheusScrapesASecuredNodeOverHttpsAndSeesTheBlocksItRefused() throws Exception {
        Path keys = dir.resolve("keys");
        assertEquals(0, CliRun.of("keys", "init", keys.toString()).exitCode());
        int http = FreePorts.any();
        Map<String, Object> settings = new HashMap<>(TestNodes.httpOn(http));
        settings.put("stemstream.security.dir", keys.toString());
        try (StemstreamNode node = TestNodes.node(settings);
             PrometheusServer prometheus = PrometheusServer.scraping("127.0.0.1:" + http, dir,
                     keys.resolve("ca.crt"))) {
            assertTrue(TestNodes.eventually(Duration.ofSeconds(30),
                    () -> prometheus.value("up{job=\"stemstream\"}") == 1.0),
                    "Prometheus scrapes the node over HTTPS, trusting the deployment's CA: " + prometheus.log());
            assertTrue(UnsealedPush.into(node, 3, 1, 3) >= 3, "the node refused the unsealed blocks");
            String refused = "stemstream_rejected_messages_total{sector=\"3\",reason=\"unauthenticated\"}";
            assertTrue(TestNodes.eventually(Duration.ofSeconds(30), () -> prometheus.value(refused)
                    == node.sectorStats(3).rejectedFor("unauthenticated")), refused + " = " + prometheus.value(refused)
                    + ", the node counted " + node.sectorStats(3).rejectedFor("unauthenticated"));
        }
    }
}
