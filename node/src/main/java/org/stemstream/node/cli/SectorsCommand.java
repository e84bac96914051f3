package org.stemstream.node.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.protocol.cluster.SectorProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code stemstream sectors}: each detector sector's health across the cluster. */
@Command(name = "sectors", mixinStandardHelpOptions = true,
        description = "Each detector sector across the cluster: messages, data, rejections, last heard per node.")
final class SectorsCommand implements Callable<Integer> {
    @Mixin
    ContactOptions contact;

    @Override
    public Integer call() throws Exception {
        try (ClusterClient client = contact.connect()) {
            for (int s = 0; s < FrameGeometry.SECTORS; s++) {
                System.out.print(describe(client.sectorHealth(s)));
            }
            return 0;
        }
    }

    static String describe(SectorProtocol.Health h) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "sector %d: %d messages, %.2f GB, rejected %s%n",
                h.sector(), h.messages(), h.bytes() / 1e9, h.rejected().isEmpty() ? "none" : h.rejected()));
        for (SectorProtocol.Report n : h.nodes()) {
            b.append(String.format(Locale.ROOT, "  received by %-36s %10d messages, last %s, %d producer(s) connected%n",
                    n.node(), n.messages(), n.idleMillis() < 0 ? "never" : n.idleMillis() / 1000.0 + " s ago",
                    n.producersConnected()));
        }
        return b.toString();
    }
}
