package org.stemstream.node.http;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.stemstream.node.metrics.NodeMetrics;
import org.stemstream.node.security.Credentials;
import org.stemstream.protocol.cluster.GatewayProtocol;

/**
 * The node's HTTP port: Pekko Management's routes ({@code /cluster/members}, {@code /cluster/shards/...}) and the
 * node's own, {@code /metrics} for Prometheus and the live page ({@link LivePage}). One port, bound here with
 * Management's routes taken in, as Pekko Management documents for applications that serve routes of their own.
 * With credentials it is HTTPS with the node's certificate, and a request that would change the cluster
 * (Management's member operations: anything but GET) must carry the deployment's token as a bearer token.
 */
public final class NodeHttp extends AllDirectives {
    private static final ExpositionFormatWriter TEXT = ExpositionFormats.init().getPrometheusTextFormatWriter();
    private static final ContentType METRICS_TYPE = ContentTypes.parse(TEXT.getContentType());
    private static final String REALM = "stemstream";

    private final NodeMetrics metrics;
    private final LivePage page;
    private final Route management;
    /** The token a request that is not a read must carry; null: no credentials, everything open. */
    private final String operatorToken;

    private NodeHttp(ActorSystem<?> system, ActorRef<GatewayProtocol.Command> gateway, Credentials credentials) {
        this.metrics = NodeMetrics.get(system);
        this.page = new LivePage(system, gateway);
        this.management = PekkoManagement.get(system).getRoutes();
        this.operatorToken = credentials == null ? null : credentials.httpToken();
    }

    /**
     * Binds the node's routes to {@code host:port}; the live page asks the cluster through {@code gateway}.
     * {@code credentials}: HTTPS and a token for changes, or null for plain HTTP open to all.
     */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, ActorRef<GatewayProtocol.Command> gateway,
                                                      String host, int port, Credentials credentials) {
        ServerBuilder server = Http.get(system).newServerAt(host, port);
        if (credentials != null) {
            server = server.enableHttps(ConnectionContext.httpsServer(credentials.httpsServer()));
        }
        return server.bind(new NodeHttp(system, gateway, credentials).routes())
                .thenApply(binding -> binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system));
    }

    private Route routes() {
        Route all = concat(path("metrics", () -> get(() -> complete(HttpResponse.create().withEntity(METRICS_TYPE,
                scrape())))), page.routes(), management);
        if (operatorToken == null) {
            return all;
        }
        // reading (GET, HEAD) is open; anything else needs the token, checked before any route can answer
        return extractMethod(method -> method.equals(HttpMethods.GET) || method.equals(HttpMethods.HEAD) ? all
                : authenticateOAuth2(REALM, given -> given.filter(c -> c.verify(operatorToken)).map(c -> "operator"),
                        operator -> all));
    }

    private byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
        try {
            TEXT.write(out, metrics.registry().scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return out.toByteArray();
    }
}
