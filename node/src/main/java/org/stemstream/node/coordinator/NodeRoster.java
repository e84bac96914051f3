package org.stemstream.node.coordinator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.Member;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.RoutingTable;

/**
 * The counting nodes as the coordinator knows them from their heartbeats, and the routing table over them: which
 * node gets which partitions, by epoch.
 */
final class NodeRoster {
    /** A node as its heartbeats describe it. */
    static final class Node {
        RoutingTable.Endpoint endpoint;
        ActorRef<NodeProtocol.Command> host;
        long lastSeenNanos;
        int countingThreads;
        double framesPerSecond;
        boolean leaving;
    }

    private final Map<String, Node> nodes = new TreeMap<>();
    private final Map<String, Long> upSince = new HashMap<>();
    /** Nodes that left the roster, until a member at their address is up again. */
    private final Set<String> departed = new java.util.HashSet<>();
    private RoutingTable table;
    private long epoch;

    /** @param last the last table published in the cluster, to go on from (null when there is none) */
    NodeRoster(RoutingTable last) {
        this.table = last;
        this.epoch = last == null ? 0 : last.epoch();
    }

    /** Takes a heartbeat; true when the node is new to the roster. */
    boolean heartbeat(CoordinatorProtocol.NodeUp up) {
        Node node = nodes.get(up.ingress().node());
        boolean fresh = node == null;
        if (fresh) {
            node = new Node();
            nodes.put(up.ingress().node(), node);
        }
        node.endpoint = up.ingress();
        node.host = up.host();
        node.lastSeenNanos = System.nanoTime();
        node.countingThreads = up.countingThreads();
        node.framesPerSecond = up.framesPerSecond();
        return fresh;
    }

    Node get(String address) {
        return nodes.get(address);
    }

    Map<String, Node> all() {
        return nodes;
    }

    boolean isEmpty() {
        return nodes.isEmpty();
    }

    /** Forgets a node; false when it was not in the roster. */
    boolean remove(String address) {
        upSince.remove(address);
        departed.add(address);
        return nodes.remove(address) != null;
    }

    /** Whether the node left the roster and no member at its address has been up since. */
    boolean departed(String address) {
        return departed.contains(address);
    }

    /** Marks a node leaving; true the first time. */
    boolean leaving(String address) {
        Node node = nodes.get(address);
        if (node == null || node.leaving) {
            return false;
        }
        node.leaving = true;
        return true;
    }

    void memberUp(String address) {
        departed.remove(address);
        upSince.putIfAbsent(address, System.currentTimeMillis());
    }

    /** Nodes whose heartbeats have been silent longer than {@code nanos}. */
    List<String> silentFor(long nanos) {
        long now = System.nanoTime();
        return nodes.entrySet().stream().filter(e -> now - e.getValue().lastSeenNanos > nanos).map(Map.Entry::getKey)
                .toList();
    }

    /**
     * The next table over the nodes that are not leaving, from {@code effectiveFrom}; null when there are none. The
     * partitions of the nodes in {@code died} enter their next generation.
     */
    RoutingTable nextTable(long effectiveFrom, int partitions, Set<String> died) {
        List<RoutingTable.Endpoint> endpoints = nodes.values().stream().filter(n -> !n.leaving)
                .map(n -> n.endpoint).sorted(Comparator.comparing(RoutingTable.Endpoint::node)).toList();
        if (endpoints.isEmpty()) {
            return null;
        }
        table = RoutingTable.rebalanced(table, ++epoch, effectiveFrom, partitions, endpoints, died);
        return table;
    }

    /** Whether the nodes that are not leaving are exactly those of the current table. */
    boolean matchesTable() {
        return table != null && nodes.entrySet().stream().filter(e -> !e.getValue().leaving).map(Map.Entry::getKey)
                .collect(java.util.stream.Collectors.toSet()).equals(tableNodes());
    }

    /** Whether every node that is not leaving is in the current table (nodes only went since it was made). */
    boolean onlyWentSinceTable() {
        Set<String> inTable = tableNodes();
        return nodes.entrySet().stream().filter(e -> !e.getValue().leaving).allMatch(e -> inTable.contains(e.getKey()));
    }

    /** The nodes of the current table that the roster no longer has. */
    Set<String> wentSinceTable() {
        Set<String> went = new java.util.HashSet<>(tableNodes());
        went.removeAll(nodes.keySet());
        return went;
    }

    private Set<String> tableNodes() {
        return table == null ? Set.of() : table.endpoints().stream().map(RoutingTable.Endpoint::node)
                .collect(java.util.stream.Collectors.toSet());
    }

    /** The current routing table, or null before the first. */
    RoutingTable table() {
        return table;
    }

    long epoch() {
        return epoch;
    }

    /** The cluster's members with what the roster knows of each (partitions, detector sockets, rate). */
    GatewayProtocol.Members members(Iterable<Member> members, Set<Member> unreachable) {
        List<GatewayProtocol.Member> out = new ArrayList<>();
        for (Member m : members) {
            String address = m.address().toString();
            Node node = nodes.get(address);
            Long up = upSince.get(address);
            out.add(new GatewayProtocol.Member(address, new ArrayList<>(m.getRoles()), m.status().toString(),
                    !unreachable.contains(m), up == null ? 0 : (System.currentTimeMillis() - up) / 1000,
                    table == null ? 0 : table.partitionsOf(address),
                    node == null ? "" : node.endpoint.host() + ":" + node.endpoint.port(),
                    node == null ? 0 : node.countingThreads, node == null ? 0 : node.framesPerSecond));
        }
        return new GatewayProtocol.Members(out, epoch);
    }
}
