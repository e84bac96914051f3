package org.stemstream.protocol.cluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Which node counts which frames: frame f belongs to partition {@code f mod partitions}, and each partition to one
 * node's sector sockets. All four sectors of a frame go to the same node, so pixels cross the network once.
 *
 * <p>A new table applies from frame {@code effectiveFrom} on, so that the four producers, which learn of it at
 * different moments, still send every frame's sectors to one node; frames below it keep the previous table.
 *
 * @param endpoints   the nodes' sector sockets, in a stable order
 * @param owners      per partition, an index into {@code endpoints}
 * @param generations per partition, how often its owner died: the partition's counting worker is a new entity in each
 *                    generation, so it starts on the new owner at once instead of waiting for sharding to let go of
 *                    the dead node's shard (which it does only once the node is removed). Inside the cluster only:
 *                    the text form producers fetch leaves it out.
 */
public record RoutingTable(long epoch, long effectiveFrom, int partitions, List<Endpoint> endpoints, int[] owners,
                           int[] generations) implements ClusterMessage {

    /** A node's sector sockets: {@code tcp://host:port+s}; {@code node} is its cluster address. */
    public record Endpoint(String node, String host, int port) implements ClusterMessage {
        public String sector(int sector) {
            return "tcp://" + host + ":" + (port + sector);
        }
    }

    public RoutingTable {
        endpoints = new ArrayList<>(endpoints);
        if (owners.length != partitions || generations.length != partitions) {
            throw new IllegalArgumentException(owners.length + " owners and " + generations.length
                    + " generations for " + partitions + " partitions");
        }
        for (int owner : owners) {
            if (owner < 0 || owner >= endpoints.size()) {
                throw new IllegalArgumentException("partition owner " + owner + " is not one of "
                        + endpoints.size() + " endpoints");
            }
        }
    }

    /** Partitions dealt round-robin over the endpoints. */
    public static RoutingTable roundRobin(long epoch, long effectiveFrom, int partitions, List<Endpoint> endpoints) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a routing table needs at least one node");
        }
        int[] owners = new int[partitions];
        for (int p = 0; p < partitions; p++) {
            owners[p] = p % endpoints.size();
        }
        return new RoutingTable(epoch, effectiveFrom, partitions, endpoints, owners, new int[partitions]);
    }

    /** The next table over new endpoints when no node died. */
    public static RoutingTable rebalanced(RoutingTable previous, long epoch, long effectiveFrom, int partitions,
                                          List<Endpoint> endpoints) {
        return rebalanced(previous, epoch, effectiveFrom, partitions, endpoints, Set.of());
    }

    /**
     * The next table over new endpoints, moving as few partitions as it can: a partition stays with its owner while
     * that owner remains; the partitions of owners that went go to the least loaded, and then partitions move from
     * the most loaded to the least loaded until the loads differ by one at most (a node that joined takes its share).
     * Without a previous table (or with another partition count), partitions are dealt round-robin. The partitions
     * of a node in {@code died} (by cluster address) enter their next generation.
     */
    public static RoutingTable rebalanced(RoutingTable previous, long epoch, long effectiveFrom, int partitions,
                                          List<Endpoint> endpoints, Set<String> died) {
        if (previous == null || previous.partitions != partitions) {
            return roundRobin(epoch, effectiveFrom, partitions, endpoints);
        }
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a routing table needs at least one node");
        }
        int[] owners = new int[partitions];
        int[] generations = previous.generations.clone();
        int[] load = new int[endpoints.size()];
        for (int p = 0; p < partitions; p++) {
            Endpoint owner = previous.endpoints.get(previous.owners[p]);
            if (died.contains(owner.node())) {
                generations[p]++;
            }
            owners[p] = endpoints.indexOf(owner);
            if (owners[p] >= 0) {
                load[owners[p]]++;
            }
        }
        for (int p = 0; p < partitions; p++) {
            if (owners[p] < 0) {
                owners[p] = least(load);
                load[owners[p]]++;
            }
        }
        while (load[most(load)] - load[least(load)] > 1) {
            int from = most(load);
            int to = least(load);
            for (int p = partitions - 1; p >= 0; p--) {
                if (owners[p] == from) {
                    owners[p] = to;
                    break;
                }
            }
            load[from]--;
            load[to]++;
        }
        return new RoutingTable(epoch, effectiveFrom, partitions, endpoints, owners, generations);
    }

    private static int least(int[] load) {
        int best = 0;
        for (int i = 1; i < load.length; i++) {
            if (load[i] < load[best]) {
                best = i;
            }
        }
        return best;
    }

    private static int most(int[] load) {
        int best = 0;
        for (int i = 1; i < load.length; i++) {
            if (load[i] > load[best]) {
                best = i;
            }
        }
        return best;
    }

    public Endpoint ownerOf(long frameNumber) {
        return endpoints.get(owners[(int) Math.floorMod(frameNumber, (long) partitions)]);
    }

    /** The cluster address of the node that counts a partition. */
    public String nodeOf(int partition) {
        return endpoints.get(owners[partition]).node();
    }

    /** How many partitions a node owns. */
    public int partitionsOf(String node) {
        int n = 0;
        for (int owner : owners) {
            if (endpoints.get(owner).node().equals(node)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The form producers fetch from a node's routing socket: lines of text,
     * {@code stemstream-routing 1}, {@code epoch E}, {@code effective-from F}, {@code partitions P},
     * {@code endpoint NODE HOST PORT} per node, {@code owners O0 O1 ...}. The generations stay inside the cluster.
     */
    public byte[] encode() {
        StringBuilder b = new StringBuilder("stemstream-routing 1\n");
        b.append("epoch ").append(epoch).append('\n');
        b.append("effective-from ").append(effectiveFrom).append('\n');
        b.append("partitions ").append(partitions).append('\n');
        for (Endpoint e : endpoints) {
            b.append("endpoint ").append(e.node()).append(' ').append(e.host()).append(' ').append(e.port())
                    .append('\n');
        }
        b.append("owners");
        for (int owner : owners) {
            b.append(' ').append(owner);
        }
        return b.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A table from its text form; its partitions are in their first generation (the text form has none). */
    public static RoutingTable decode(byte[] bytes) {
        List<String> lines = List.of(new String(bytes, StandardCharsets.UTF_8).split("\n"));
        if (lines.isEmpty() || !lines.get(0).equals("stemstream-routing 1")) {
            throw new IllegalArgumentException("not a routing table: " + (lines.isEmpty() ? "" : lines.get(0)));
        }
        try {
            long epoch = Long.parseLong(value(lines, "epoch"));
            long from = Long.parseLong(value(lines, "effective-from"));
            int partitions = Integer.parseInt(value(lines, "partitions"));
            List<Endpoint> endpoints = new ArrayList<>();
            int[] owners = null;
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f[0].equals("endpoint") && f.length == 4) {
                    endpoints.add(new Endpoint(f[1], f[2], Integer.parseInt(f[3])));
                } else if (f[0].equals("owners")) {
                    owners = Arrays.stream(f, 1, f.length).mapToInt(Integer::parseInt).toArray();
                }
            }
            if (owners == null) {
                throw new IllegalArgumentException("routing table without owners");
            }
            return new RoutingTable(epoch, from, partitions, endpoints, owners, new int[partitions]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed routing table: " + e.getMessage(), e);
        }
    }

    private static String value(List<String> lines, String key) {
        for (String line : lines) {
            if (line.startsWith(key + " ")) {
                return line.substring(key.length() + 1).strip();
            }
        }
        throw new IllegalArgumentException("routing table without " + key);
    }
}
