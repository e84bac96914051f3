package org.stemstream.node.cli;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.stemstream.protocol.cluster.GatewayProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stemstream members [--watch]}: the cluster's members, their roles, state, partitions and rate. */
@Command(name = "members", mixinStandardHelpOptions = true,
        description = "Cluster membership: address, roles, status, reachability, up for, partitions, counting threads,"
                + " frames/s.")
public final class MembersCommand implements Callable<Integer> {
    @Mixin
    ContactOptions contact;

    @Option(names = "--watch", description = "Keep following: print membership changes as they happen.")
    boolean watch;

    @Override
    public Integer call() throws Exception {
        try (ClusterClient client = contact.connect()) {
            GatewayProtocol.Members members = client.members();
            System.out.print(table(members));
            Map<String, String> seen = states(members);
            while (watch) {
                Thread.sleep(1000);
                GatewayProtocol.Members now = client.members();
                Map<String, String> states = states(now);
                states.forEach((address, state) -> {
                    if (!state.equals(seen.get(address))) {
                        System.out.println(seen.containsKey(address) ? address + " is now " + state
                                : address + " joined: " + state);
                    }
                });
                seen.keySet().stream().filter(a -> !states.containsKey(a))
                        .forEach(a -> System.out.println(a + " is gone"));
                seen.clear();
                seen.putAll(states);
            }
            return 0;
        }
    }

    private static Map<String, String> states(GatewayProtocol.Members members) {
        Map<String, String> out = new HashMap<>();
        members.members().forEach(m -> out.put(m.address(), m.status() + (m.reachable() ? "" : ", unreachable")
                + ", " + m.partitions() + " partitions"));
        return out;
    }

    public static String table(GatewayProtocol.Members members) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "%-36s %-10s %-8s %-11s %8s %10s %-20s %7s %9s%n", "ADDRESS", "ROLES", "STATUS", "REACHABLE", "UP (s)",
                "PARTITIONS", "DETECTOR SOCKETS", "THREADS", "FRAMES/S"));
        for (GatewayProtocol.Member m : members.members()) {
            b.append(String.format(Locale.ROOT, "%-36s %-10s %-8s %-11s %8d %10d %-20s %7d %9.0f%n", m.address(),
                    String.join(",", m.roles()).replace("dc-default", "").replaceAll("^,|,$", ""), m.status(),
                    m.reachable() ? "yes" : "NO", m.upForSeconds(), m.partitions(),
                    m.ingress().isEmpty() ? "-" : m.ingress(), m.countingThreads(), m.framesPerSecond()));
        }
        b.append("routing epoch ").append(members.routingEpoch()).append('\n');
        return b.toString();
    }
}
