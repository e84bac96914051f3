package org.stemstream.node.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.stemstream.node.counting.ScanImages;
import org.stemstream.node.counting.VirtualImages;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanView;

/**
 * The live page every node serves at {@code /}: the running scan's progress, rate and ETA, its virtual images and
 * summed pattern as they grow (radii set on the page), the members and their partitions, each sector's blocks,
 * failures and replays as they happen, and past scans with their pictures. The page is static (resources under
 * {@code web/}); what changes comes from the cluster through the node's gateway:
 *
 * <ul>
 *   <li>{@code /api/live}: server-sent events, every 250 ms the scans and members as JSON. The ticks are dropped,
 *       never queued, while a browser is slow, so no browser backs up the cluster.
 *   <li>{@code /api/scans/N/scan.png} and {@code diffraction.png}: a running scan's pictures, rendered by its
 *       writer when asked ({@code bf}, {@code inner}, {@code outer}: radii in pixels); a finished scan's from its
 *       PNG files.
 * </ul>
 */
final class LivePage extends AllDirectives {
    private static final Duration ASK = Duration.ofSeconds(5);
    private static final Duration TICK = Duration.ofMillis(250);
    /** Past scans the page lists. */
    private static final int PAST_SCANS = 20;

    private final ActorSystem<?> system;
    private final ActorRef<GatewayProtocol.Command> gateway;
    private final ObjectMapper json = new ObjectMapper();

    LivePage(ActorSystem<?> system, ActorRef<GatewayProtocol.Command> gateway) {
        this.system = system;
        this.gateway = gateway;
    }

    /** What the page is sent on each tick. */
    record Live(List<ScanView> scans, List<GatewayProtocol.Member> members, long routingEpoch) {
    }

    Route routes() {
        return get(() -> concat(
                pathSingleSlash(() -> getFromResource("web/index.html", ContentTypes.TEXT_HTML_UTF8)),
                path(PathMatchers.segment("api").slash("live"), () -> completeOK(live(),
                        EventStreamMarshalling.toEventStream())),
                path(PathMatchers.segment("api").slash("scans").slash(PathMatchers.longSegment()).slash("scan.png"),
                        scan -> radii(radii -> picture(scan, radii, false))),
                path(PathMatchers.segment("api").slash("scans").slash(PathMatchers.longSegment())
                        .slash("diffraction.png"), scan -> picture(scan, new int[3], true))));
    }

    private Source<ServerSentEvent, NotUsed> live() {
        return Source.tick(Duration.ZERO, TICK, "tick").mapMaterializedValue(cancellable -> NotUsed.getInstance())
                .mapAsync(1, tick -> snapshot())
                .map(live -> ServerSentEvent.create(json.writeValueAsString(live)));
    }

    private CompletionStage<Live> snapshot() {
        CompletableFuture<GatewayProtocol.ScanList> scans = ask(GatewayProtocol.ListScans::new);
        CompletableFuture<GatewayProtocol.Members> members = ask(GatewayProtocol.GetMembers::new);
        return scans.thenCombine(members, (s, m) -> new Live(s.scans().stream()
                .sorted(Comparator.comparingLong(ScanView::scanNumber).reversed()).limit(PAST_SCANS).toList(),
                m.members(), m.routingEpoch()));
    }

    /** The {@code bf}, {@code inner} and {@code outer} parameters (all or none), checked; 400 when they are wrong. */
    private Route radii(Function<int[], Route> inner) {
        return parameterOptional("bf", bf -> parameterOptional("inner", in -> parameterOptional("outer", out -> {
            if (bf.isEmpty() && in.isEmpty() && out.isEmpty()) {
                return inner.apply(new int[3]);
            }
            try {
                VirtualImages.Radii r = new VirtualImages.Radii(Integer.parseInt(bf.orElse("")),
                        Integer.parseInt(in.orElse("")), Integer.parseInt(out.orElse("")));
                return inner.apply(new int[] {r.brightField(), r.darkFieldInner(), r.darkFieldOuter()});
            } catch (NumberFormatException e) {
                return complete(StatusCodes.BAD_REQUEST, "bf, inner and outer are whole numbers of pixels, all three");
            } catch (IllegalArgumentException e) {
                return complete(StatusCodes.BAD_REQUEST, e.getMessage());
            }
        })));
    }

    /** A running scan's picture from its writer, else a done scan's from its file, else 404 with the reason. */
    private Route picture(long scan, int[] radii, boolean pattern) {
        CompletionStage<HttpResponse> response = this.<GatewayProtocol.PicturesReply>ask(reply -> new GatewayProtocol
                .GetPictures(scan, pattern, radii[0], radii[1], radii[2], reply)).thenCompose(reply -> {
                    if (reply instanceof GatewayProtocol.Picture p) {
                        return CompletableFuture.completedFuture(png(p.png())
                                .addHeader(RawHeader.create("X-Beam-Centre", p.centreRow() + "," + p.centreCol()))
                                .addHeader(RawHeader.create("X-Radii", p.brightField() + "," + p.darkFieldInner()
                                        + "," + p.darkFieldOuter())));
                    }
                    return fromFile(scan, !pattern, ((GatewayProtocol.NoPictures) reply).reason());
                });
        return completeWithFuture(response.exceptionally(e -> HttpResponse.create()
                .withStatus(StatusCodes.SERVICE_UNAVAILABLE).withEntity("the cluster did not answer: " + e)));
    }

    private CompletionStage<HttpResponse> fromFile(long scan, boolean scanPicture, String why) {
        return this.<GatewayProtocol.ScanReply>ask(reply -> new GatewayProtocol.GetScan(scan, reply)).thenApply(r -> {
            // only a done scan's: a failed or cancelled one left no pictures, and its name may hold an older scan's
            Optional<Path> file = r instanceof GatewayProtocol.ScanFound found
                    && found.view().state() == ScanView.State.DONE
                    ? Optional.of(Path.of(found.view().output())).map(output -> scanPicture
                            ? ScanImages.scanPicture(output) : ScanImages.patternPicture(output)) : Optional.empty();
            String reason = r instanceof GatewayProtocol.ScanRefused refused ? refused.reason()
                    : file.map(f -> "no picture at " + f).orElse(why);
            try {
                if (file.isPresent() && Files.isReadable(file.get())) {
                    return png(Files.readAllBytes(file.get()));
                }
            } catch (java.io.IOException e) {
                reason = "its picture could not be read: " + e.getMessage();
            }
            return HttpResponse.create().withStatus(StatusCodes.NOT_FOUND).withEntity(reason);
        });
    }

    private static HttpResponse png(byte[] bytes) {
        return HttpResponse.create().withEntity(ContentTypes.create(MediaTypes.IMAGE_PNG), bytes)
                .addHeader(RawHeader.create("Cache-Control", "no-store"));
    }

    private <T> CompletableFuture<T> ask(Function<ActorRef<T>, GatewayProtocol.Command> request) {
        return AskPattern.ask(gateway, request::apply, ASK, system.scheduler()).toCompletableFuture();
    }
}
