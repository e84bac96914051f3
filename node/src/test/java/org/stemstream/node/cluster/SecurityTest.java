package org.stemstream.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.node.CliRun;
import org.stemstream.node.FreePorts;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;

/**
 * A secured cluster (credentials from {@code keys init}) takes in only processes that hold its credentials: nodes
 * that join and CLIs that ask, over mutually authenticated TLS; its HTTP port is HTTPS, open for reading and closed
 * to changes without the operators' token.
 */
class SecurityTest {
    @TempDir
    Path dir;

    @Test
    void keysInitMakesOwnerOnlyCredentialsAndNeverOverwritesThem() throws Exception {
        Path keys = dir.resolve("keys");
        CliRun made = CliRun.of("keys", "init", keys.toString());
        assertEquals(0, made.exitCode(), made.err());
        for (String file : new String[] {"ca.p12", "ca.crt", "trust.p12", "node.p12", "cli.p12", "password",
            "http-token", "producer.key"}) {
            assertTrue(Files.isRegularFile(keys.resolve(file)), file);
        }
        for (String secret : new String[] {"password", "http-token", "producer.key"}) {
            assertEquals(PosixFilePermissions.fromString("rw-------"),
                    Files.getPosixFilePermissions(keys.resolve(secret)));
        }
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(keys));
        byte[] password = Files.readAllBytes(keys.resolve("password"));
        CliRun again = CliRun.of("keys", "init", keys.toString());
        assertEquals(2, again.exitCode());
        assertTrue(again.err().contains("never overwrites credentials"), again.err());
        assertEquals(new String(password), Files.readString(keys.resolve("password")));
    }

    @Test
    void onlyHoldersOfTheCredentialsJoinOrAsk() throws Exception {
        Path keys = dir.resolve("keys");
        Path foreign = dir.resolve("foreign");
        assertEquals(0, CliRun.of("keys", "init", keys.toString()).exitCode());
        assertEquals(0, CliRun.of("keys", "init", foreign.toString()).exitCode());
        Map<String, Object> secured = Map.of("stemstream.security.dir", keys.toString());
        try (StemstreamNode seed = TestNodes.node(secured)) {
            String contact = seed.address().substring(seed.address().indexOf('@') + 1);

            ch.qos.logback.classic.Logger tls = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                    org.stemstream.node.security.RefusalLoggingTls.class);
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> refusals =
                    new ch.qos.logback.core.read.ListAppender<>();
            refusals.start();
            tls.addAppender(refusals);

            CliRun asked = CliRun.of("scan", "list", "--contact", contact, "--security", keys.toString());
            assertEquals(0, asked.exitCode(), asked.err());
            for (Path credentials : new Path[] {null, foreign}) {
                CliRun refused = credentials == null
                        ? CliRun.of("scan", "list", "--contact", contact, "--ask-timeout", "3")
                        : CliRun.of("scan", "list", "--contact", contact, "--ask-timeout", "3",
                                "--security", credentials.toString());
                assertEquals(2, refused.exitCode(), String.valueOf(credentials));
                assertTrue(refused.err().contains("no stemstream node answers at " + contact), refused.err());
            }
            // TLS 1.3: the client checks the node's certificate first, so the CLI holding another CA refuses the node
            assertTrue(refusals.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith(
                    "refused the node at " + contact) && e.getFormattedMessage().contains("CN=stemstream node")),
                    "the CLI with another CA's credentials says why: " + refusals.list);

            // A node without the credentials keeps trying to join; it must not get in while a node with them
            // joins. Both start together, so the secured one's arrival bounds how long the other has tried.
            try (StemstreamNode intruder = TestNodes.joining(seed, Map.of());
                 StemstreamNode member = TestNodes.joining(seed, secured)) {
                TestNodes.awaitRouting(seed, 2, Duration.ofSeconds(60));
                assertTrue(TestNodes.eventually(Duration.ofSeconds(10), () -> upMembers(seed) == 2));
                assertFalse(seed.members().toCompletableFuture().join().members().stream()
                        .anyMatch(m -> m.address().equals(intruder.address())), "the node without credentials joined");
            }
        }
    }

    @Test
    void theHttpPortIsHttpsAndOnlyOperatorsChangeTheCluster() throws Exception {
        Path keys = dir.resolve("keys");
        assertEquals(0, CliRun.of("keys", "init", keys.toString()).exitCode());
        int port = FreePorts.any();
        Map<String, Object> settings = new HashMap<>(TestNodes.httpOn(port));
        settings.put("stemstream.security.dir", keys.toString());
        try (StemstreamNode node = TestNodes.node(settings)) {
            HttpClient https = HttpClient.newBuilder().sslContext(trusting(keys)).build();
            String base = "https://127.0.0.1:" + port;
            HttpResponse<String> metrics = https.send(request(base + "/metrics").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("stemstream_"), metrics.body());
            assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(
                    request("http://127.0.0.1:" + port + "/metrics").GET().build(),
                    HttpResponse.BodyHandlers.ofString()), "plain HTTP must get no answer");

            String member = base + "/cluster/members/"
                    + URLEncoder.encode("pekko://stemstream@127.0.0.1:1", StandardCharsets.UTF_8);
            assertEquals(401, https.send(request(member).DELETE().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
            assertEquals(401, https.send(request(member).DELETE().header("Authorization", "Bearer wrong").build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            String token = Files.readString(keys.resolve("http-token")).strip();
            HttpResponse<String> operator = https.send(request(member).DELETE()
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            // let through to Management, which answers for itself (there is no such member to down)
            assertNotEquals(401, operator.statusCode(), operator.body());
        }
    }

    private static HttpRequest.Builder request(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10));
    }

    /** TLS that trusts the deployment's CA, as an operator's browser or Prometheus would be set up to. */
    private static SSLContext trusting(Path keys) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keys.resolve("trust.p12"))) {
            trust.load(in, Files.readString(keys.resolve("password")).strip().toCharArray());
        }
        TrustManagerFactory managers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        managers.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, managers.getTrustManagers(), null);
        return context;
    }

    private static long upMembers(StemstreamNode node) {
        return node.members().toCompletableFuture().join().members().stream()
                .filter(m -> m.status().equals("Up")).count();
    }
}
