package org.stemstream.node.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stemstream.node.nodehost.CountingWorker;
import org.stemstream.protocol.cluster.CoordinatorProtocol;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.NodeProtocol;
import org.stemstream.protocol.cluster.RoutingTable;

/**
 * The roster on a one-member cluster, with a second counting node known only by its heartbeats: each change of
 * nodes publishes a routing table and places every partition's counting worker where the table sends its frames.
 */
class RosterTest {
    private static final ActorTestKit KIT = ActorTestKit.create(ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.port = 0
            """).withFallback(ConfigFactory.load()));
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String OTHER = "pekko://stemstream@127.0.0.1:1";
    private static final ScanCoordinator.Settings SETTINGS =
            new ScanCoordinator.Settings(8, Duration.ofMillis(1500), 100, 64);
    private static final TestProbe<NodeProtocol.Command> HOST = KIT.createTestProbe();

    @BeforeAll
    static void joinItself() {
        Cluster cluster = Cluster.get(KIT.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        KIT.createTestProbe().awaitAssert(WAIT, () -> {
            assertEquals(MemberStatus.up(), cluster.selfMember().status());
            return null;
        });
    }

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private static RoutingTable publishedTable() {
        TestProbe<Replicator.GetResponse<LWWRegister<RoutingTable>>> probe = KIT.createTestProbe();
        DistributedData.get(KIT.system()).replicator().tell(new Replicator.Get<>(Roster.ROUTING,
                Replicator.readLocal(), probe.getRef()));
        Replicator.GetResponse<LWWRegister<RoutingTable>> response = probe.receiveMessage(WAIT);
        return response instanceof Replicator.GetSuccess<LWWRegister<RoutingTable>> found
                ? found.get(Roster.ROUTING).getValue() : null;
    }

    private static Map<String, Address> placedWorkers() {
        return ExternalShardAllocation.get(KIT.system()).getClient(CountingWorker.TYPE_KEY.name())
                .getShardLocations().toCompletableFuture().join().getShardLocations().entrySet().stream()
                .collect(HashMap::new, (m, e) -> m.put(e.getKey(), e.getValue().address()), HashMap::putAll);
    }

    /** Waits until the published table spreads the partitions over {@code nodes} and the workers follow it. */
    private static RoutingTable awaitTableAndPlacement(int nodes) {
        return KIT.createTestProbe().awaitAssert(WAIT, () -> {
            RoutingTable table = publishedTable();
            assertEquals(nodes, table == null ? 0 : table.endpoints().size(), "nodes in the published table");
            Map<String, Address> placedNow = placedWorkers(); // earlier generations' locations stay in it
            Map<String, Address> expected = new HashMap<>();
            Map<String, Address> placed = new HashMap<>();
            for (int p = 0; p < table.partitions(); p++) {
                String worker = CountingWorker.entityId(p, table.generations()[p]);
                expected.put(worker, AddressFromURIString.parse(table.nodeOf(p)));
                placed.put(worker, placedNow.get(worker));
            }
            assertEquals(expected, placed);
            return table;
        });
    }

    @Test
    void theTableAndTheWorkersFollowTheCountingNodes() {
        TestProbe<CoordinatorProtocol.Command> coordinator = KIT.createTestProbe();
        ActorRef<CoordinatorProtocol.Command> roster = roster(coordinator);
        String self = self();

        roster.tell(up(self, 6200));
        assertEquals(self, coordinator.expectMessageClass(ScanCoordinator.NodeJoined.class, WAIT).address());
        awaitTableAndPlacement(1);

        roster.tell(up(OTHER, 6210));
        assertEquals(OTHER, coordinator.expectMessageClass(ScanCoordinator.NodeJoined.class, WAIT).address());
        RoutingTable two = awaitTableAndPlacement(2);
        assertEquals(4, two.partitionsOf(OTHER));

        TestProbe<GatewayProtocol.Partitions> partitions = KIT.createTestProbe();
        roster.tell(new GatewayProtocol.GetPartitions(partitions.getRef()));
        List<GatewayProtocol.Partition> listed = partitions.receiveMessage(WAIT).partitions();
        assertEquals(8, listed.size());
        for (GatewayProtocol.Partition p : listed) {
            assertEquals(two.nodeOf(p.partition()), p.node());
        }

        roster.tell(new CoordinatorProtocol.NodeLeaving(OTHER));
        awaitTableAndPlacement(1);
    }

    private static String self() {
        return Cluster.get(KIT.system()).selfMember().address().toString();
    }

    /** A node's heartbeat: it counts, with its detector sockets at {@code port}. */
    private static CoordinatorProtocol.NodeUp up(String node, int port) {
        return new CoordinatorProtocol.NodeUp(new RoutingTable.Endpoint(node, "127.0.0.1", port), HOST.getRef(), 2, 0);
    }

    private static ActorRef<CoordinatorProtocol.Command> roster(TestProbe<CoordinatorProtocol.Command> coordinator) {
        return KIT.spawn(Roster.create(SETTINGS, coordinator.getRef()));
    }

    /** Waits until the published table applies from {@code frame} over {@code nodes} nodes. */
    private static void awaitTableFrom(long frame, int nodes) {
        KIT.createTestProbe().awaitAssert(WAIT, () -> {
            RoutingTable table = publishedTable();
            assertEquals(nodes + " nodes from frame " + frame, table.endpoints().size() + " nodes from frame "
                    + table.effectiveFrom());
            return null;
        });
    }

    @Test
    void aNodeJoiningBeforeTheScansPaceIsKnownTakesFramesFromTheNextScanAndALeaveSwitchesAheadOfTheDetector() {
        ActorRef<CoordinatorProtocol.Command> roster = roster(KIT.createTestProbe());
        roster.tell(up(self(), 6200));
        awaitTableFrom(0, 1);

        // frames seen, no rate yet: the producers may be anywhere, so the scan's frames stay where they go
        roster.tell(new Roster.Pace(1, 400, 0, 1000, true));
        roster.tell(up(OTHER, 6210));
        awaitTableFrom(1001, 2);

        // a measured rate: 1.5 s of frames beyond those seen (more than the 100-frame minimum)
        roster.tell(new Roster.Pace(1, 600, 200, 1000, true));
        roster.tell(new CoordinatorProtocol.NodeLeaving(OTHER));
        awaitTableFrom(900, 1);

        // the scan ends: the table applies from the next scan's first frame
        roster.tell(new Roster.Pace(1, 1000, 200, 1000, false));
        awaitTableFrom(0, 1);
    }

    /** As when the coordinator moves to another node: producers take only tables with a higher epoch. */
    @Test
    void aRosterStartedWhereAnotherPublishedGoesOnFromItsEpoch() {
        ActorRef<CoordinatorProtocol.Command> first = roster(KIT.createTestProbe());
        first.tell(up(self(), 6200));
        first.tell(up(OTHER, 6210));
        RoutingTable last = awaitTableAndPlacement(2);
        KIT.stop(first);

        ActorRef<CoordinatorProtocol.Command> next = roster(KIT.createTestProbe());
        next.tell(up(self(), 6200));
        awaitTableFrom(0, 1);
        assertEquals(last.epoch() + 1, publishedTable().epoch());
        // the other node went with the old coordinator: its partitions' workers start afresh here, at once
        RoutingTable taken = awaitTableAndPlacement(1);
        for (int p = 0; p < taken.partitions(); p++) {
            assertEquals(last.generations()[p] + (last.nodeOf(p).equals(OTHER) ? 1 : 0), taken.generations()[p],
                    "partition " + p);
        }
        KIT.stop(next);
    }
}
