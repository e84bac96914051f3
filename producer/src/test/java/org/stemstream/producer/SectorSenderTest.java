package org.stemstream.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.protocol.cluster.RoutingTable;
import org.zeromq.ZContext;

/** One sector's sender against nodes played by real sockets: what it keeps, when it waits, what it sends again. */
class SectorSenderTest {
    private static final long BLOCK = FrameGeometry.SECTOR_BYTES + BlockHeader.BYTES;
    private static final byte[] PAYLOAD = new byte[FrameGeometry.SECTOR_BYTES];

    private static SenderSettings settings(RoutingTable.Endpoint contact, long retentionBytes) {
        return settings(contact, retentionBytes, 1000);
    }

    private static SenderSettings settings(RoutingTable.Endpoint contact, long retentionBytes, int highWaterMark) {
        return new SenderSettings(contact.host(), contact.port(), false, highWaterMark, 20_000, 1_000,
                retentionBytes, 20_000);
    }

    private static BlockHeader header(long frame) {
        return new BlockHeader(7, frame, 4, 4, (int) (frame - 1) % 4, (int) (frame - 1) / 4);
    }

    /**
     * Connects the sender and sends frames 1 to 4, half of them to {@code dead}, which then dies (its sockets
     * closed); returns the last frame sent.
     */
    private static long connectThenLose(SectorSender sender, ScriptedNode dead) throws Exception {
        sender.connect();
        for (long f = 1; f <= 4; f++) {
            assertTrue(sender.sendShared(header(f), PAYLOAD));
        }
        assertTrue(dead.awaitReceived(2), "connected to both nodes");
        dead.close();
        return 4;
    }

    private static Set<Long> frames(long first, long last) {
        return LongStream.rangeClosed(first, last).boxed().collect(Collectors.toSet());
    }

    @Test
    void aFullRetentionMakesSendingWaitUntilTheNodeSaysFramesAreStored() throws Exception {
        AtomicReference<RoutingTable> table = new AtomicReference<>();
        try (ScriptedNode node = new ScriptedNode("a", table); ZContext context = new ZContext(1)) {
            table.set(RoutingTable.roundRobin(1, 0, 4, List.of(node.endpoint)));
            SectorSender.Stats stats;
            try (SectorSender sender = new SectorSender(context, 0, 7, 16, settings(node.endpoint, 4 * BLOCK))) {
                sender.connect();
                for (long f = 1; f <= 16; f++) {
                    assertTrue(sender.send(header(f), PAYLOAD));
                }
                sender.finish();
                stats = sender.stats();
            }
            assertEquals(frames(1, 16), node.received);
            assertTrue(stats.retentionWaits() > 0, "16 blocks through a retention of 4 waited: " + stats);
            assertTrue(stats.peakRetainedBytes() <= 4 * BLOCK, "kept at most what the setting allows: " + stats);
            assertEquals(0, stats.unacknowledged(), stats.toString());
            assertEquals(16, node.firstEnd().blocksSent());
        }
    }

    @Test
    void blocksWhoseNodeLeftTheTableAreSentAgainToTheirNewOwnerBeforeTheEnd() throws Exception {
        AtomicReference<RoutingTable> table = new AtomicReference<>();
        try (ScriptedNode lost = new ScriptedNode("lost", table); ScriptedNode heir = new ScriptedNode("heir", table);
             ZContext context = new ZContext(1)) {
            table.set(RoutingTable.roundRobin(1, 0, 4, List.of(lost.endpoint)));
            lost.acknowledging = false; // it took the blocks, then died before any was stored
            SectorSender.Stats stats;
            try (SectorSender sender = new SectorSender(context, 0, 7, 8, settings(lost.endpoint, 64 * BLOCK))) {
                sender.connect();
                for (long f = 1; f <= 8; f++) {
                    assertTrue(sender.send(header(f), PAYLOAD));
                }
                table.set(RoutingTable.roundRobin(2, 0, 4, List.of(heir.endpoint)));
                sender.finish();
                stats = sender.stats();
            }
            assertEquals(frames(1, 8), lost.received);
            assertEquals(frames(1, 8), heir.received, "every kept block went to the heir");
            assertEquals(8, stats.replayed());
            assertEquals(0, stats.unacknowledged());
            assertEquals(8, heir.firstEnd().blocksSent(), "the heir's end counts what it was sent");
        }
    }

    @Test
    void blocksForANodeThatDiedAreHeldBackWhileTheOtherNodeGetsItsOwnThenGoToTheirNewOwner() throws Exception {
        AtomicReference<RoutingTable> table = new AtomicReference<>();
        try (ScriptedNode live = new ScriptedNode("live", table); ScriptedNode dead = new ScriptedNode("dead", table);
             ZContext context = new ZContext(1)) {
            table.set(RoutingTable.roundRobin(1, 0, 2, List.of(live.endpoint, dead.endpoint))); // odd frames: dead
            dead.acknowledging = false;
            SectorSender.Stats stats;
            long frames = 0;
            try (SectorSender sender = new SectorSender(context, 0, 7, 10_000,
                    settings(live.endpoint, 512 * BLOCK, 4))) {
                frames = connectThenLose(sender, dead); // still in the table: nothing tells but its silence
                while (sender.stats().heldBack() == 0 && frames < 5_000) {
                    assertTrue(sender.sendShared(header(++frames), PAYLOAD));
                }
                for (int i = 0; i < 20; i++) { // from now on its frames are held back at once
                    assertTrue(sender.sendShared(header(++frames), PAYLOAD));
                }
                // the live node got every one of its frames while the dead one was still in the table
                assertTrue(live.awaitReceived((int) frames / 2), live.received.toString());
                assertEquals(frames(1, frames).stream().filter(f -> f % 2 == 0).collect(Collectors.toSet()),
                        live.received);
                table.set(RoutingTable.roundRobin(2, 0, 2, List.of(live.endpoint)));
                sender.finish();
                stats = sender.stats();
            }
            assertEquals(frames(1, frames), live.received, "what the dead node had or was held back went to the heir");
            assertTrue(stats.heldBack() >= 10, stats.toString());
            assertEquals((frames + 1) / 2, stats.heldBack() + stats.replayed(),
                    "each of its frames went once to the heir: " + stats);
            assertEquals(frames, stats.sent(), stats.toString());
            assertEquals(0, stats.unacknowledged(), stats.toString());
        }
    }

    @Test
    void blocksHeldBackForAStoppedNodeGoToItWhenItAnswersAgain() throws Exception {
        AtomicReference<RoutingTable> table = new AtomicReference<>();
        try (ScriptedNode live = new ScriptedNode("live", table);
             ScriptedNode stopped = new ScriptedNode("stopped", table); ZContext context = new ZContext(1)) {
            table.set(RoutingTable.roundRobin(1, 0, 2, List.of(live.endpoint, stopped.endpoint))); // odd: stopped
            SectorSender.Stats stats;
            long frames = 0;
            try (SectorSender sender = new SectorSender(context, 0, 7, 10_000,
                    settings(live.endpoint, 512 * BLOCK, 4))) {
                sender.connect();
                stopped.stop();
                // the detector goes on until the stopped node is found silent and its blocks are held back
                while (sender.stats().heldBack() == 0 && frames < 5_000) {
                    frames++;
                    assertTrue(sender.sendShared(header(frames), PAYLOAD));
                }
                assertTrue(sender.stats().heldBack() > 0, "nothing held back in " + frames + " frames");
                stopped.resume();
                sender.finish();
                stats = sender.stats();
            }
            Set<Long> all = frames(1, frames);
            assertEquals(all.stream().filter(f -> f % 2 == 1).collect(Collectors.toSet()), stopped.received,
                    "the stopped node got its frames, held back ones included, once it answered");
            assertEquals(all.stream().filter(f -> f % 2 == 0).collect(Collectors.toSet()), live.received);
            assertEquals(0, stats.replayed(), "it stayed in the table: nothing went elsewhere");
            assertEquals(frames, stats.sent(), stats.toString());
            assertEquals(0, stats.unacknowledged(), stats.toString());
        }
    }

    @Test
    void closingDoesNotWaitForWhatWasQueuedForANodeThatDied() throws Exception {
        AtomicReference<RoutingTable> table = new AtomicReference<>();
        try (ScriptedNode live = new ScriptedNode("live", table); ScriptedNode dead = new ScriptedNode("dead", table)) {
            table.set(RoutingTable.roundRobin(1, 0, 2, List.of(live.endpoint, dead.endpoint))); // odd frames: dead
            dead.acknowledging = false;
            // as the detector runs: no send timeout, and a minute for what is still queued when it closes
            SenderSettings detector = new SenderSettings(live.endpoint.host(), live.endpoint.port(), false, 1000, -1,
                    60_000, 512 * BLOCK, 20_000);
            ZContext context = new ZContext(1);
            SectorSender.Stats stats;
            try (SectorSender sender = new SectorSender(context, 0, 7, 256, detector)) {
                sender.connect();
                dead.stop(); // it reads nothing more: its blocks wait in the sender's queue
                for (long f = 1; f <= 256; f++) {
                    assertTrue(sender.sendShared(header(f), PAYLOAD));
                }
                dead.close(); // then it dies
                table.set(RoutingTable.roundRobin(2, 0, 2, List.of(live.endpoint)));
                sender.finish();
                stats = sender.stats();
            }
            long start = System.nanoTime();
            context.close();
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(frames(1, 256), live.received, "the dead node's frames went to the heir");
            assertEquals(0, stats.unacknowledged(), stats.toString());
            assertTrue(seconds < 10, "closing waited " + seconds + " s for blocks queued for the dead node");
        }
    }

    @Test
    void blocksOfASilentNodeThatATableDropsFromALaterFrameGoToTheNewOwnerJustBeforeThatFrame() throws Exception {
        AtomicReference<RoutingTable> table = new AtomicReference<>();
        try (ScriptedNode heir = new ScriptedNode("heir", table); ScriptedNode dead = new ScriptedNode("dead", table);
             ZContext context = new ZContext(1)) {
            table.set(RoutingTable.roundRobin(1, 0, 2, List.of(heir.endpoint, dead.endpoint))); // odd frames: dead
            dead.acknowledging = false;
            long switchFrame = 200;
            SectorSender.Stats stats;
            try (SectorSender sender = new SectorSender(context, 0, 7, 300, settings(heir.endpoint, 512 * BLOCK, 4))) {
                connectThenLose(sender, dead);
                // a table drops it from a frame ahead of the detector (as for a leaving node that then died)
                table.set(RoutingTable.roundRobin(2, switchFrame, 2, List.of(heir.endpoint)));
                for (long f = 5; f <= 300; f++) {
                    assertTrue(sender.sendShared(header(f), PAYLOAD));
                }
                sender.finish();
                stats = sender.stats();
            }
            assertEquals(frames(1, 300), heir.received);
            assertEquals(100, stats.heldBack() + stats.replayed(), stats.toString());
            assertTrue(stats.heldBack() > 0, stats.toString());
            // the heir got the dead node's frames after its own below the switch frame, and before any above it:
            // the order the other sectors' producers send them in
            List<Long> arrivals = List.copyOf(heir.arrivals);
            int firstAbove = arrivals.indexOf(switchFrame);
            int lastOwnBelow = arrivals.indexOf(switchFrame - 2);
            for (long f = 1; f < switchFrame; f += 2) {
                int at = arrivals.indexOf(f);
                assertTrue(at > lastOwnBelow && at < firstAbove, "frame " + f + " came at " + at + ", not between "
                        + lastOwnBelow + " and " + firstAbove + ": " + arrivals);
            }
        }
    }
}
