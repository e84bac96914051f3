package org.stemstream.node.coordinator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.RoutingTable;

/** What every counting worker reported, over all scans: the coordinator's answer to {@code stemstream partitions}. */
final class PartitionTotals {
    /** Latest report per scan, partition and node (the accounts are cumulative per worker incarnation). */
    private final Map<String, CoordinatorProtocol.PartitionProgress> latest = new HashMap<>();

    void record(CoordinatorProtocol.PartitionProgress p) {
        latest.put(p.scanNumber() + "/" + p.partition() + "@" + p.node(), p);
    }

    GatewayProtocol.Partitions view(RoutingTable table, long epoch) {
        int partitions = table == null ? 0 : table.partitions();
        long[] last = new long[partitions];
        long[] counted = new long[partitions];
        long[] incomplete = new long[partitions];
        long[] sent = new long[partitions];
        long[] stored = new long[partitions];
        java.util.Arrays.fill(last, -1);
        for (CoordinatorProtocol.PartitionProgress p : latest.values()) {
            if (p.partition() < partitions) {
                int i = p.partition();
                last[i] = Math.max(last[i], p.scanNumber());
                counted[i] += p.framesCounted();
                incomplete[i] += p.framesIncomplete();
                sent[i] += p.eventsSent();
                stored[i] += p.eventsStored();
            }
        }
        List<GatewayProtocol.Partition> out = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            out.add(new GatewayProtocol.Partition(i, table.nodeOf(i), last[i],
                    counted[i], incomplete[i], sent[i], stored[i]));
        }
        return new GatewayProtocol.Partitions(out, epoch);
    }
}
