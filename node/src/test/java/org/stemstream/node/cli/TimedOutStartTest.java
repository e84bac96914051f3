package org.stemstream.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.protocol.cluster.ScanRequest;

/**
 * A {@code scan start} or {@code scan cancel} whose answer did not come in time says whether it took effect, as the
 * cluster's own record of the scan shows: started by this request, not started (so starting again is safe), or another
 * scan; cancelled, or not (so cancelling again is safe).
 */
class TimedOutStartTest {
    @TempDir
    Path dir;

    @Test
    void aStartWithoutAnAnswerSaysWhetherItTookEffect() throws Exception {
        ScanRequest started = Scans.given(41, 4, 4, 29, 400, dir.resolve("41.h5"), 20);
        ScanRequest never = Scans.given(42, 4, 4, 29, 400, dir.resolve("42.h5"), 20);
        ScanRequest other = Scans.given(41, 4, 4, 29, 400, dir.resolve("other.h5"), 20);
        ClusterClient.NoAnswer late = new ClusterClient.NoAnswer("the cluster did not answer within 5 s");
        try (StemstreamNode node = TestNodes.node(Map.of());
             ClusterClient client = ClusterClient.connect(node.address().substring(node.address().indexOf('@') + 1),
                     Duration.ofSeconds(10))) {
            TestNodes.start(node, started); // the start that took effect, its answer lost

            assertEquals(41, ScanCommand.Start.startedAnyway(client, started, late).scanNumber());
            IllegalArgumentException notStarted = assertThrows(IllegalArgumentException.class,
                    () -> ScanCommand.Start.startedAnyway(client, never, late));
            assertTrue(notStarted.getMessage().contains("scan 42 was not started")
                    && notStarted.getMessage().contains("starting it again is safe"), notStarted.getMessage());
            IllegalArgumentException another = assertThrows(IllegalArgumentException.class,
                    () -> ScanCommand.Start.startedAnyway(client, other, late));
            assertTrue(another.getMessage().contains("this command did not start it"), another.getMessage());
        }
    }

    @Test
    void aCancelWithoutAnAnswerSaysWhetherItTookEffect() throws Exception {
        ScanRequest cancelled = Scans.given(43, 4, 4, 29, 400, dir.resolve("43.h5"), 20);
        ScanRequest running = Scans.given(44, 4, 4, 29, 400, dir.resolve("44.h5"), 20);
        ClusterClient.NoAnswer late = new ClusterClient.NoAnswer("the cluster did not answer within 5 s");
        try (StemstreamNode node = TestNodes.node(Map.of());
             ClusterClient client = ClusterClient.connect(node.address().substring(node.address().indexOf('@') + 1),
                     Duration.ofSeconds(10))) {
            TestNodes.start(node, cancelled);
            TestNodes.start(node, running);
            client.cancel(43); // the cancel that took effect, its answer lost

            assertEquals(43, ScanCommand.Cancel.cancelledAnyway(client, 43, late).scanNumber());
            IllegalArgumentException notCancelled = assertThrows(IllegalArgumentException.class,
                    () -> ScanCommand.Cancel.cancelledAnyway(client, 44, late));
            assertTrue(notCancelled.getMessage().contains("scan 44 was not cancelled (streaming)")
                    && notCancelled.getMessage().contains("cancelling it again is safe"), notCancelled.getMessage());
        }
    }
}
