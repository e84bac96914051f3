package org.stemstream.node.nodehost;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.stemstream.node.cli.Scans;
import org.stemstream.node.ingest.IngestReport;
import org.stemstream.node.ingest.ScanControl;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.RoutingTable;
import org.stemstream.protocol.cluster.ScanRequest;

/** A node's host between the coordinator (a probe) and the node's stream (a probe), as the coordinator moves. */
class NodeHostTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final Duration WAIT = Duration.ofSeconds(10);

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void aCoordinatorThatMovedHearsAgainThatAScanEndedHereAndTheScanIsNotOpenedAgain() {
        TestProbe<CoordinatorProtocol.Command> coordinator = KIT.createTestProbe();
        TestProbe<ScanControl> stream = KIT.createTestProbe();
        AtomicReference<ActorRef<IngestReport>> reports = new AtomicReference<>();
        ActorRef<NodeProtocol.Command> host = KIT.spawn(NodeHost.create(coordinator.getRef(),
                new RoutingTable.Endpoint("n1", "127.0.0.1", 6200), 2, new Acknowledgements(), report -> {
                    reports.set(report);
                    return stream.getRef();
                }));
        ScanRequest request = Scans.given(9, 2, 2, 29, 400, Path.of("scan9.h5"), 20);
        host.tell(new NodeProtocol.OpenScan(request));
        stream.expectMessageClass(ScanControl.Open.class, WAIT);
        reports.get().tell(new IngestReport.InputEnded(9)); // its producers' ends came
        CoordinatorProtocol.NodeProgress last = lastWord(coordinator);
        assertTrue(last.inputEnded());

        // the coordinator died before that reached it; the one that took over opens the scan again, or ends it
        host.tell(new NodeProtocol.OpenScan(request));
        assertSame(last, lastWord(coordinator), "the node says again that its input ended");
        host.tell(new NodeProtocol.EndScanInput(9, false));
        assertSame(last, lastWord(coordinator));
        stream.expectNoMessage(Duration.ofMillis(300)); // nothing opens in the stream: no producer sends any more
    }

    private static CoordinatorProtocol.NodeProgress lastWord(TestProbe<CoordinatorProtocol.Command> coordinator) {
        return (CoordinatorProtocol.NodeProgress) coordinator.fishForMessage(WAIT, m ->
                m instanceof CoordinatorProtocol.NodeProgress p && p.scanNumber() == 9
                        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0);
    }
}
