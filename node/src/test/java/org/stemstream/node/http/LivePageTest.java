package org.stemstream.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.hdf5.H5py;
import org.stemstream.node.Correlation;
import org.stemstream.node.FreePorts;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.cli.Scans;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.Specimen;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * The live page in a real browser (headless Chromium) while a scan over the synthetic specimen streams into a
 * cluster of two nodes: its pictures change as frames are counted, radii set on the page come back from the writer,
 * the node that does not write the scan serves its pictures too, and at the end the page's bright-field image is the
 * one computed from the file's events with the beam centre and radius the file records. A screenshot is kept in
 * {@code node/target/live-page.png}.
 */
class LivePageTest {
    private static final int W = 48;
    private static final int H = 48;

    @TempDir
    Path dir;

    @Test
    void thePageShowsTheScanGrowAndEndsWithTheImageOfTheFile() throws Exception {
        int http = FreePorts.any();
        Path output = dir.resolve("live.h5");
        SyntheticScan scan = new SyntheticScan(3, W, H, 1, new SyntheticDetector(5, 120, 0.05)).over(Specimen.LATTICE);
        int otherHttp = FreePorts.any();
        try (StemstreamNode node = TestNodes.node(TestNodes.httpOn(http));
             StemstreamNode other = TestNodes.joining(node, TestNodes.httpOn(otherHttp));
             HeadlessChromium browser = HeadlessChromium.start(dir.resolve("chromium"))) {
            TestNodes.awaitRouting(node, 2, Duration.ofSeconds(60));
            browser.open("http://127.0.0.1:" + http + "/");
            assertTrue(TestNodes.eventually(Duration.ofSeconds(30),
                    () -> browser.evaluate("window.stemstream && window.stemstream.updates").asInt() > 0),
                    "the page receives the cluster's state");

            TestNodes.start(node, Scans.given(3, W, H, 29, 400, output, 30));
            CompletableFuture<DetectorEmulator.Result> sending = CompletableFuture.supplyAsync(() -> {
                try {
                    return DetectorEmulator.run(new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH),
                            DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()).atRate(200),
                            FaultInjection.NONE); // about 11 s
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // while it runs: pictures of the running scan at several counts; radii set on the page once the first
            // is in (150 is rounded to the 4 px rings: 152), answered by the writer with the radii it used
            TreeSet<Integer> shown = new TreeSet<>();
            boolean radiiSet = false;
            String radiiUsed = "";
            int otherStatus = 0;
            while (!sending.isDone()) {
                JsonNode state = browser.evaluate("window.stemstream");
                if (state.path("shownScan").asInt() == 3 && state.path("shownState").asText().equals("STREAMING")) {
                    shown.add(state.path("shownCounted").asInt());
                    if (!radiiSet) {
                        browser.evaluate("document.getElementById('bf').value = 40;"
                                + " document.getElementById('inner').value = 150;"
                                + " document.getElementById('outer').value = 260;"
                                + " document.getElementById('apply').click(); 1");
                        radiiSet = true;
                        // the node without the scan's writer asks for its picture across the cluster
                        otherStatus = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + otherHttp + "/api/scans/3/diffraction.png")).build(),
                                HttpResponse.BodyHandlers.discarding()).statusCode();
                    } else if (!state.path("shownRadii").asText().isEmpty()) {
                        radiiUsed = state.path("shownRadii").asText();
                    }
                }
                Thread.sleep(200);
            }
            sending.join();
            System.out.printf("live page: pictures of the running scan at %d points, by frames counted: %s%n",
                    shown.size(), shown);
            assertTrue(shown.size() >= 3, "pictures shown while streaming, by frames counted: " + shown);
            assertEquals("40,152,260", radiiUsed, "the radii of the page's last picture while streaming");
            assertEquals(200, otherStatus, "the other node's answer for the scan's pattern");
            browser.evaluate("document.getElementById('reset').click(); 1");

            ScanView status = TestNodes.awaitFinished(node, 3, Duration.ofSeconds(60));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertTrue(TestNodes.eventually(Duration.ofSeconds(20), () -> browser.evaluate(
                    "window.stemstream.shownState === 'DONE' && window.stemstream.shownRadii === ''").asBoolean()),
                    "the page shows the finished scan's picture");
            String[] recorded = H5py.run("""
                    import sys, h5py
                    m = h5py.File(sys.argv[1], 'r')['metadata/virtual_images'].attrs
                    print(float(m['beam_centre_row']), float(m['beam_centre_col']), int(m['bright_field_radius']))
                    """, output).trim().split(" ");
            // the disk of radius 110 px centred on the detector, pushed by the specimen by up to 20 px
            assertEquals(288, Double.parseDouble(recorded[0]), 20, "beam centre row");
            assertEquals(288, Double.parseDouble(recorded[1]), 20, "beam centre column");
            assertEquals(110, Integer.parseInt(recorded[2]), 20, "bright-field radius");
            double[] page = brightFieldPanel(browser);
            double[] fromFile = brightFieldFromFile(output);
            double r = Correlation.pearson(page, fromFile);
            assertTrue(r > 0.98, "the page's bright field against the file's: r = " + r);

            Path screenshot = Path.of("target", "live-page.png");
            Files.createDirectories(screenshot.getParent());
            Files.write(screenshot, browser.screenshot());
        }
    }

    /** The grey value at the middle of each position's square in the first panel of the page's scan picture. */
    private static double[] brightFieldPanel(HeadlessChromium browser) throws Exception {
        JsonNode values = browser.evaluate("""
                (async () => {
                  const img = document.getElementById('scanPicture');
                  await img.decode();
                  const c = document.createElement('canvas');
                  c.width = img.naturalWidth; c.height = img.naturalHeight;
                  const g = c.getContext('2d');
                  g.drawImage(img, 0, 0);
                  const zoom = Math.floor(256 / %d), out = [];
                  for (let y = 0; y < %d; y++) for (let x = 0; x < %d; x++)
                    out.push(g.getImageData(x * zoom + (zoom >> 1), y * zoom + (zoom >> 1), 1, 1).data[0]);
                  return out;
                })()""".formatted(Math.max(W, H), H, W));
        double[] out = new double[W * H];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).asDouble();
        }
        return out;
    }

    /** Events per position within the recorded bright-field radius of the recorded beam centre, from the file. */
    private static double[] brightFieldFromFile(Path file) throws Exception {
        String counts = H5py.run("""
                import sys, h5py, numpy as np
                f = h5py.File(sys.argv[1], 'r')
                m = f['metadata/virtual_images'].attrs
                row, col, bf = float(m['beam_centre_row']), float(m['beam_centre_col']), int(m['bright_field_radius'])
                rings = min(72, (bf + 3) // 4)
                out = []
                for events in f['electron_events/frames']:
                    events = events.astype(np.int64)
                    d = np.sqrt((events // 576 - row) ** 2 + (events % 576 - col) ** 2)
                    out.append(int(np.count_nonzero(np.floor(d / 4) < rings)))
                print(' '.join(map(str, out)))
                """, file);
        return Arrays.stream(counts.trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
    }
}
