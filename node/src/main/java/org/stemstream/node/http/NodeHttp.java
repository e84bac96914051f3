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
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.stemstream.node.metrics.NodeMetrics;
import org.stemstream.protocol.cluster.GatewayProtocol;

/**
 * The node's HTTP port: Pekko Management's routes ({@code /cluster/members}, {@code /cluster/shards/...}) and the
 * node's own, {@code /metrics} for Prometheus and the live page ({@link LivePage}). One port, bound here with
 * Management's routes taken in, as Pekko Management documents for applications that serve routes of their own.
 */
public final class NodeHttp extends AllDirectives {
    private static final ExpositionFormatWriter TEXT = ExpositionFormats.init().getPrometheusTextFormatWriter();
    private static final ContentType METRICS_TYPE = ContentTypes.parse(TEXT.getContentType());

    private final NodeMetrics metrics;
    private final LivePage page;
    private final Route management;

    private NodeHttp(ActorSystem<?> system, ActorRef<GatewayProtocol.Command> gateway) {
        this.metrics = NodeMetrics.get(system);
        this.page = new LivePage(system, gateway);
        this.management = PekkoManagement.get(system).getRoutes();
    }

    /** Binds the node's routes to {@code host:port}; the live page asks the cluster through {@code gateway}. */
    public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, ActorRef<GatewayProtocol.Command> gateway,
                                                      String host, int port) {
        return Http.get(system).newServerAt(host, port).bind(new NodeHttp(system, gateway).routes())
                .thenApply(binding -> binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system));
    }

    private Route routes() {
        return concat(path("metrics", () -> get(() -> complete(HttpResponse.create().withEntity(METRICS_TYPE,
                scrape())))), page.routes(), management);
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
