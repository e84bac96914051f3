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
        return new SenderSettings(contact.host(), contact.port(), false, 1000, 20_000, 1_000, retentionBytes, 20_000);
    }

    private static BlockHeader header(long frame) {
        return new BlockHeader(7, frame, 4, 4, (int) (frame - 1) % 4, (int) (frame - 1) / 4);
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
}
