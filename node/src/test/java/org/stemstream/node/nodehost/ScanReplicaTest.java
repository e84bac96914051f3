package org.stemstream.node.nodehost;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.ReplicaProtocol;
import org.stemstream.protocol.cluster.WorkerProtocol;
import org.stemstream.protocol.cluster.WriterProtocol;

/** A scan's replica: every batch kept once and acknowledged each time, all of it sent to a new writer on request. */
class ScanReplicaTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private final TestProbe<WorkerProtocol.Command> worker = KIT.createTestProbe();

    private WriterProtocol.Frames batch(long number, long frame) {
        return new WriterProtocol.Frames(4, number, new long[] {frame}, new int[] {(int) frame},
                new boolean[] {true}, new int[] {1}, new int[] {7}, worker.getRef());
    }

    @Test
    void keepsEachBatchOnceAcknowledgesItEachTimeAndSendsThemAllToANewWriter() {
        ActorRef<ReplicaProtocol.Command> replica = KIT.spawn(ScanReplica.create(4, "n2"));
        WriterProtocol.Frames first = batch(0, 10);
        WriterProtocol.Frames second = batch(1, 11);
        for (WriterProtocol.Frames b : new WriterProtocol.Frames[] {first, second, first}) {
            replica.tell(b);
            assertEquals(new WorkerProtocol.FramesStored(4, b.batch()), worker.receiveMessage());
        }
        TestProbe<WriterProtocol.Command> writer = KIT.createTestProbe();
        TestProbe<CoordinatorProtocol.Command> lifecycle = KIT.createTestProbe();
        replica.tell(new ReplicaProtocol.Restore(writer.getRef(), lifecycle.getRef()));
        assertEquals(first, writer.receiveMessage());
        assertEquals(second, writer.receiveMessage());
        writer.expectNoMessage(Duration.ofMillis(200));
        assertEquals(new CoordinatorProtocol.Restored(4, "n2", 2), lifecycle.receiveMessage());

        replica.tell(new ReplicaProtocol.Release(4));
        TestProbe<Object> watcher = KIT.createTestProbe();
        watcher.expectTerminated(replica, Duration.ofSeconds(3));
    }
}
