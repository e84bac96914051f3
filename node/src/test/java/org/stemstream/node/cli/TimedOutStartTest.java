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
 * A {@code scan start} whose answer did not come in time says whether the start took effect, as the cluster's own
 * record of the scan shows: started by this request, not started (so starting again is safe), or another scan.
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
}
