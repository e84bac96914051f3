package org.stemstream.node.coordinator;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.ScanCheckpoint;
import org.stemstream.protocol.cluster.ScanView;

/**
 * Every scan's latest {@link ScanCheckpoint} in Distributed Data, written to a majority of the nodes (its progress
 * once a second, a new state or replica at once),
 * so that a coordinator that takes over (its predecessor's node died or left) knows every scan that was started: a
 * scan is never "unknown", and one still running goes on from its checkpoint (its request, thresholds and the replica
 * of its stored events).
 */
final class ScanLedger {
    static final Key<LWWMap<String, ScanCheckpoint>> SCANS = LWWMapKey.create("stemstream-scans");
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    /** The ledger as a coordinator found it when it started. */
    record Read(Replicator.GetResponse<LWWMap<String, ScanCheckpoint>> response) implements CoordinatorProtocol.Command {
        List<ScanCheckpoint> checkpoints() {
            if (response instanceof Replicator.GetSuccess<LWWMap<String, ScanCheckpoint>> found) {
                return new ArrayList<>(found.get(SCANS).getEntries().values());
            }
            return List.of();
        }
    }

    private record Written(Replicator.UpdateResponse<LWWMap<String, ScanCheckpoint>> response)
            implements CoordinatorProtocol.Command {
    }

    private final ActorRef<Replicator.Command> replicator;
    private final SelfUniqueAddress self;
    private final ActorRef<Replicator.UpdateResponse<LWWMap<String, ScanCheckpoint>>> written;

    ScanLedger(ActorContext<CoordinatorProtocol.Command> context) {
        DistributedData data = DistributedData.get(context.getSystem());
        this.replicator = data.replicator();
        this.self = data.selfUniqueAddress();
        this.written = context.messageAdapter(updateResponse(), Written::new);
    }

    /** Asks for the ledger from a majority of the nodes; the answer comes as a {@link Read}. */
    static void read(ActorContext<CoordinatorProtocol.Command> context) {
        DistributedData.get(context.getSystem()).replicator().tell(new Replicator.Get<>(SCANS,
                new Replicator.ReadMajority(TIMEOUT), context.messageAdapter(getResponse(), Read::new)));
    }

    /** Messages the ledger's writes answer with, which the coordinator takes and ignores. */
    static boolean isWriteAnswer(CoordinatorProtocol.Command command) {
        return command instanceof Written;
    }

    void record(ScanCheckpoint checkpoint) {
        replicator.tell(new Replicator.Update<>(SCANS, LWWMap.create(), new Replicator.WriteMajority(TIMEOUT),
                written, map -> map.put(self, Long.toString(checkpoint.view().scanNumber()), checkpoint)));
    }

    void forget(long scanNumber) {
        replicator.tell(new Replicator.Update<>(SCANS, LWWMap.create(), new Replicator.WriteMajority(TIMEOUT),
                written, map -> map.remove(self, Long.toString(scanNumber))));
    }

    /**
     * A scan that was running when its coordinator went and cannot go on (it was still deciding its thresholds, or
     * no other node kept its events): failed, every frame missing (no file was committed), and a temporary file its
     * writer left beside the output removed where this node can see it.
     */
    static ScanView orphaned(ScanView running, String why) {
        removeTemporaryFiles(Path.of(running.output()));
        return running.failedWithoutFile("the scan's coordinator went (its node died or left) while the scan ran, and"
                + " " + why + ": no file was written (" + running.framesCounted() + " frames had been counted)");
    }

    /** Removes the temporary files a writer of {@code output} left, where this node can see them. */
    static void removeTemporaryFiles(Path output) {
        Path dir = output.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        String prefix = "." + output.getFileName();
        try (DirectoryStream<Path> left = Files.newDirectoryStream(dir, p -> p.getFileName().toString()
                .startsWith(prefix) && p.getFileName().toString().endsWith(".partial"))) {
            for (Path partial : left) {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            // what cannot be listed or removed here stays; the scan's status says no file was written
        }
    }

    @SuppressWarnings("unchecked")
    private static Class<Replicator.GetResponse<LWWMap<String, ScanCheckpoint>>> getResponse() {
        return (Class<Replicator.GetResponse<LWWMap<String, ScanCheckpoint>>>) (Class<?>) Replicator.GetResponse.class;
    }

    @SuppressWarnings("unchecked")
    private static Class<Replicator.UpdateResponse<LWWMap<String, ScanCheckpoint>>> updateResponse() {
        return (Class<Replicator.UpdateResponse<LWWMap<String, ScanCheckpoint>>>) (Class<?>) Replicator.UpdateResponse.class;
    }
}
