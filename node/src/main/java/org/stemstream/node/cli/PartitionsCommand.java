package org.stemstream.node.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.stemstream.protocol.cluster.GatewayProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code stemstream partitions}: every partition's counting worker, its node and what it counted. */
@Command(name = "partitions", mixinStandardHelpOptions = true,
        description = "Counting workers: each partition of frame numbers, the node it is counted on, and its counts"
                + " over all scans.")
final class PartitionsCommand implements Callable<Integer> {
    @Mixin
    ContactOptions contact;

    @Override
    public Integer call() {
        try (ClusterClient client = contact.connect()) {
            System.out.print(table(client.partitions()));
            return 0;
        }
    }

    static String table(GatewayProtocol.Partitions partitions) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%9s %-36s %9s %10s %10s %12s %12s%n",
                "PARTITION", "NODE", "LAST SCAN", "COUNTED", "INCOMPLETE", "EVENTS SENT", "EVENTS STORED"));
        for (GatewayProtocol.Partition p : partitions.partitions()) {
            b.append(String.format(Locale.ROOT, "%9d %-36s %9s %10d %10d %12d %12d%n", p.partition(), p.node(),
                    p.lastScan() < 0 ? "-" : Long.toString(p.lastScan()), p.framesCounted(), p.framesIncomplete(),
                    p.eventsSent(), p.eventsStored()));
        }
        b.append("routing epoch ").append(partitions.routingEpoch()).append('\n');
        return b.toString();
    }
}
