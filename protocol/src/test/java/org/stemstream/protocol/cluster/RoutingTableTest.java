package org.stemstream.protocol.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A new table moves as few partitions as it can: counting workers that stay keep counting. */
class RoutingTableTest {
    private static RoutingTable.Endpoint node(int i) {
        return new RoutingTable.Endpoint("pekko://stemstream@10.0.0." + i + ":2552", "10.0.0." + i, 6200);
    }

    private static int moved(RoutingTable before, RoutingTable after) {
        int n = 0;
        for (int p = 0; p < before.partitions(); p++) {
            if (!before.endpoints().get(before.owners()[p]).equals(after.endpoints().get(after.owners()[p]))) {
                n++;
            }
        }
        return n;
    }

    private static void balanced(RoutingTable table) {
        int[] load = new int[table.endpoints().size()];
        for (int owner : table.owners()) {
            load[owner]++;
        }
        int min = java.util.Arrays.stream(load).min().orElseThrow();
        int max = java.util.Arrays.stream(load).max().orElseThrow();
        assertTrue(max - min <= 1, java.util.Arrays.toString(load));
    }

    @Test
    void aNodeThatGoesTakesOnlyItsOwnPartitionsAway() {
        RoutingTable three = RoutingTable.roundRobin(1, 0, 64, List.of(node(1), node(2), node(3)));
        RoutingTable two = RoutingTable.rebalanced(three, 2, 0, 64, List.of(node(1), node(3)));
        assertEquals(three.partitionsOf(node(2).node()), moved(three, two), "only node 2's partitions move");
        balanced(two);
        assertEquals(2, two.epoch());
    }

    @Test
    void theDeadNodesPartitionsEnterTheirNextGenerationAndTheOthersKeepTheirs() {
        RoutingTable three = RoutingTable.roundRobin(1, 0, 64, List.of(node(1), node(2), node(3)));
        RoutingTable two = RoutingTable.rebalanced(three, 2, 0, 64, List.of(node(1), node(3)),
                java.util.Set.of(node(2).node()));
        RoutingTable back = RoutingTable.rebalanced(two, 3, 0, 64, List.of(node(1), node(2), node(3)));
        for (int p = 0; p < 64; p++) {
            int expected = three.nodeOf(p).equals(node(2).node()) ? 1 : 0;
            assertEquals(expected, two.generations()[p], "partition " + p + " after node 2 died");
            assertEquals(expected, back.generations()[p], "partition " + p + " after node 2 joined again");
        }
        RoutingTable left = RoutingTable.rebalanced(three, 2, 0, 64, List.of(node(1), node(3)));
        assertEquals(0, java.util.Arrays.stream(left.generations()).sum(), "a node that left hands its workers over");
    }

    @Test
    void aNodeThatJoinsTakesItsShareAndNothingElseMoves() {
        RoutingTable two = RoutingTable.roundRobin(1, 0, 64, List.of(node(1), node(2)));
        RoutingTable three = RoutingTable.rebalanced(two, 2, 500, 64, List.of(node(1), node(2), node(3)));
        balanced(three);
        assertEquals(three.partitionsOf(node(3).node()), moved(two, three), "only the joiner's share moves");
        assertEquals(500, three.effectiveFrom());
    }

    @Test
    void withoutAPreviousTableThePartitionsAreDealtRoundRobin() {
        RoutingTable table = RoutingTable.rebalanced(null, 1, 0, 8, List.of(node(1), node(2)));
        assertEquals(List.of(0, 1, 0, 1, 0, 1, 0, 1), java.util.Arrays.stream(table.owners()).boxed().toList());
    }
}
