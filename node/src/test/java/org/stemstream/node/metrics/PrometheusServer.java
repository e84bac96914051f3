package org.stemstream.node.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.stemstream.node.FreePorts;
import org.stemstream.node.TestNodes;

/**
 * A real Prometheus server (Debian's {@code prometheus}, installed by {@code scripts/install-test-deps}) scraping one
 * target every second, and its query API.
 */
final class PrometheusServer implements AutoCloseable {
    private static final Pattern SAMPLE = Pattern.compile("\\[\\s*[0-9.]+\\s*,\\s*\"([^\"]+)\"\\s*]");

    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts Prometheus on a free port, scraping {@code target} (host:port) as job "stemstream" every second. */
    static PrometheusServer scraping(String target, Path dir) throws Exception {
        return scraping(target, dir, null);
    }

    /**
     * As {@link #scraping(String, Path)}, over HTTPS when {@code caFile} is given: the way docs/security.md tells an
     * operator to scrape a secured node, trusting only the deployment's CA.
     */
    static PrometheusServer scraping(String target, Path dir, Path caFile) throws Exception {
        Path config = dir.resolve("prometheus.yml");
        String https = caFile == null ? "" : """
                    scheme: https
                    tls_config:
                      ca_file: '%s'
                """.formatted(caFile);
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: stemstream
                %s    static_configs:
                      - targets: ['%s']
                """.formatted(https, target));
        int port = FreePorts.any();
        Path log = dir.resolve("prometheus.log");
        Process process = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(process, port, log);
        if (!TestNodes.eventually(Duration.ofSeconds(30), server::ready)) {
            server.close();
            throw new AssertionError("Prometheus did not become ready:\n" + Files.readString(log));
        }
        return server;
    }

    private boolean ready() {
        try {
            return get("/-/ready").statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The values of an instant query's result, as Prometheus returns them (empty when nothing matches yet). */
    List<Double> query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> response = get("/api/v1/query?query=" + URLEncoder.encode(promql,
                StandardCharsets.UTF_8));
        if (response.statusCode() != 200 || !response.body().contains("\"status\":\"success\"")) {
            throw new AssertionError("query " + promql + ": " + response.statusCode() + " " + response.body());
        }
        List<Double> values = new ArrayList<>();
        Matcher m = SAMPLE.matcher(response.body());
        while (m.find()) {
            values.add(Double.parseDouble(m.group(1)));
        }
        return values;
    }

    /** The single value of {@code promql}, or NaN while it has none. */
    double value(String promql) throws IOException, InterruptedException {
        List<Double> values = query(promql);
        return values.size() == 1 ? values.get(0) : Double.NaN;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
