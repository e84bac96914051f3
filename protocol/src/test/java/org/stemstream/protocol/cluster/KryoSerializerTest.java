package org.stemstream.protocol.cluster;

import org.stemstream.protocol.SampleStatistics;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every cluster message goes through Pekko's serialization (the Kryo binding) and comes back equal. */
class KryoSerializerTest {
    private static final ActorTestKit KIT = ActorTestKit.create(ConfigFactory.parseString("""
            pekko.actor.serializers.stemstream-kryo = "org.stemstream.protocol.cluster.KryoSerializer"
            pekko.actor.serialization-bindings {
              "org.stemstream.protocol.cluster.ClusterMessage" = stemstream-kryo
            }
            """));

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private static List<ClusterMessage> samples() {
        ActorRef<Object> ref = KIT.createTestProbe().getRef();
        ActorRef<GatewayProtocol.ScanReply> replies = KIT.<GatewayProtocol.ScanReply>createTestProbe().getRef();
        ScanRequest request = new ScanRequest(7, 64, 32, 2, Double.NaN, Double.NaN, 3, 40, 4.5, 175, "/data/dark.f32",
                List.of("/data/a.data", "/data/b.data"), null, "/out/scan7.h5", 30_000);
        ScanView view = new ScanView(7, ScanView.State.STREAMING, 4096, 100, 2, 0, 4000, 812.5, 4.2,
                List.of(new ScanView.SectorAccount(0, 100, -1), new ScanView.SectorAccount(1, 98, 100)), 1, 2, 3,
                "frame outside scan: frame 99999 is beyond scan 7's 4096 frames", 0, 30.06, 125.15, List.of(new ScanView.NodeAccount("pekko://stemstream@h:2552", 100, false)),
                "/out/scan7.h5", "");
        RoutingTable table = RoutingTable.roundRobin(3, 5000, 8, List.of(new RoutingTable.Endpoint("a", "h1", 6200),
                new RoutingTable.Endpoint("b", "h2", 6200)));
        SampleStatistics sample = new SampleStatistics(new long[] {1}, 331_776, 6.6e6, 1.4e8, 3, 9000, 3,
                new long[] {1, 5, 9});
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("background_threshold", 28.5);
        attributes.put("frames_counted", 16L);
        attributes.put("dark", "none");
        return List.of(request, view, view.sectors().get(0), view.nodes().get(0), table, table.endpoints().get(0),
                new GatewayProtocol.StartScan(request, replies), new GatewayProtocol.GetScan(7, replies),
                new GatewayProtocol.CancelScan(7, replies), new GatewayProtocol.WhenFinished(7, replies),
                new GatewayProtocol.ListScans(Adapter.toTyped(Adapter.toClassic(ref))),
                new GatewayProtocol.GetMembers(Adapter.toTyped(Adapter.toClassic(ref))),
                new GatewayProtocol.ScanFound(view), new GatewayProtocol.ScanRefused("no"),
                new GatewayProtocol.ScanList(List.of(view)),
                new GatewayProtocol.Members(List.of(new GatewayProtocol.Member("a", List.of("counter"), "Up", true,
                        12, 21, "h1:6200", 16, 900.5)), 3),
                new GatewayProtocol.Member("a", List.of("counter"), "Up", false, 0, 0, "", 0, 0),
                new CoordinatorProtocol.NodeUp(table.endpoints().get(1), Adapter.toTyped(Adapter.toClassic(ref)), 4, 5.5),
                new CoordinatorProtocol.NodeLeaving("a"),
                new CoordinatorProtocol.NodeProgress(7, "a", 10, new long[] {10, 10, 10, 9},
                        new long[] {-1, 10, 10, 10}, 0, 1, 3, "unknown scan: scan 8 is not being counted here", 44, 250,
                        false, ""),
                new CoordinatorProtocol.PartitionProgress(7, 3, "a", 10, 1, 44, 400, 380),
                new CoordinatorProtocol.ScanOpened(7, "a"),
                new CoordinatorProtocol.ThresholdSamples(7, "a", List.of(sample)),
                new CoordinatorProtocol.FileOpened(7, ""),
                new CoordinatorProtocol.FileClosed(7, "/out/scan7.1.h5", 16, 1, 0, 640, 2, 3, ""),
                new NodeProtocol.OpenScan(request), new NodeProtocol.UseThresholds(7, 28, 1000),
                new NodeProtocol.EndScanInput(7, true), 
                new WorkerProtocol.Count(7, 44, 43, true, new int[] {1, 9},
                        Adapter.toTyped(Adapter.toClassic(ref))),
                new WorkerProtocol.Accepted(7, 44, Adapter.toTyped(Adapter.toClassic(ref))), new WorkerProtocol.Flush(7, Adapter.toTyped(Adapter.toClassic(ref))),
                new WorkerProtocol.Flushed(7, 3, 120), new WorkerProtocol.FramesStored(7, 12),
                new WorkerProtocol.HandOff(),
                new GatewayProtocol.GetPartitions(Adapter.toTyped(Adapter.toClassic(ref))),
                new GatewayProtocol.Partitions(List.of(new GatewayProtocol.Partition(3, "a", 7, 10, 1, 400, 380)), 2),
                new GatewayProtocol.Partition(4, "b", -1, 0, 0, 0, 0),
                new WriterProtocol.OpenFile(request, Adapter.toTyped(Adapter.toClassic(ref))),
                new WriterProtocol.Frames(7, 3, new long[] {5, 6}, new int[] {4, 5}, new boolean[] {true, false},
                        new int[] {2, 1}, new int[] {10, 20, 30}, Adapter.toTyped(Adapter.toClassic(ref))),
                new WriterProtocol.CommitFile(7, attributes, Adapter.toTyped(Adapter.toClassic(ref))),
                new WriterProtocol.AbandonFile(7),
                new SectorProtocol.Report(2, "a", 100, 16_590_400, Map.of("malformed", 3L), 120, 1),
                new SectorProtocol.GetHealth(Adapter.toTyped(Adapter.toClassic(ref))),
                new SectorProtocol.Health(2, List.of(new SectorProtocol.Report(2, "a", 1, 2, Map.of(), 3, 0))),
                new GatewayProtocol.GetSectorHealth(2, Adapter.toTyped(Adapter.toClassic(ref))),
                new GatewayProtocol.GetPictures(7, false, 100, 140, 270, Adapter.toTyped(Adapter.toClassic(ref))),
                new GatewayProtocol.Picture(7, new byte[] {1, 2, 3}, 287.5, 289.25, 100, 140, 270),
                new GatewayProtocol.NoPictures("scan 7 has no file open"),
                new WriterProtocol.RenderPictures(7, true, 0, 0, 0, Adapter.toTyped(Adapter.toClassic(ref))),
                new WorkerProtocol.ScanClosed(7),
                new NodeProtocol.KeepReplica(7, Adapter.toTyped(Adapter.toClassic(ref))),
                new CoordinatorProtocol.ReplicaReady(7, "a", Adapter.toTyped(Adapter.toClassic(ref))),
                new CoordinatorProtocol.Restored(7, "a", 12),
                new ReplicaProtocol.Restore(Adapter.toTyped(Adapter.toClassic(ref)),
                        Adapter.toTyped(Adapter.toClassic(ref))),
                new ReplicaProtocol.Release(7),
                new WriterProtocol.UseReplica(Adapter.toTyped(Adapter.toClassic(ref))),
                new NodeProtocol.SendSamples(7),
                new ScanCheckpoint(view, request, Adapter.toTyped(Adapter.toClassic(ref)),
                        List.of(new CoordinatorProtocol.NodeProgress(7, "a", 10, new long[] {10, 10, 10, 9},
                                new long[] {-1, 10, 10, 10}, 0, 1, 3, "", 44, 250, false, "")),
                        List.of(new CoordinatorProtocol.PartitionProgress(7, 3, "a", 10, 1, 44, 400, 380)),
                        List.of(sample), "thresholds from frame(s) 21"),
                ScanCheckpoint.finished(view));
    }

    @Test
    void everyMessageRoundTripsThroughPekkoSerialization() throws Exception {
        Serialization serialization = SerializationExtension.get(Adapter.toClassic(KIT.system()));
        for (ClusterMessage message : samples()) {
            Serializer serializer = serialization.findSerializerFor(message);
            assertInstanceOf(KryoSerializer.class, serializer, message.getClass().getName());
            byte[] bytes = serializer.toBinary(message);
            Object back = serializer.fromBinary(bytes, message.getClass());
            assertEquals(canonical(message), canonical(back), message.getClass().getName());
        }
    }

    @Test
    void everyRegisteredMessageTypeHasASample() {
        Set<Class<?>> sampled = new HashSet<>();
        samples().forEach(m -> sampled.add(m.getClass()));
        for (Class<?> type : KryoSerializer.REGISTERED) {
            if (ClusterMessage.class.isAssignableFrom(type)) {
                assertTrue(sampled.contains(type), type.getName() + " has no round-trip sample");
            }
        }
    }

    @Test
    void anUnregisteredClassFailsLoudly() throws Exception {
        Serializer serializer = SerializationExtension.get(Adapter.toClassic(KIT.system()))
                .serializerFor(ClusterMessage.class);
        record Stray(int x) implements ClusterMessage {
        }
        assertThrows(IllegalArgumentException.class, () -> serializer.toBinary(new Stray(1)));
    }

    /** Records compare arrays by reference: compare their text with arrays spelled out instead. */
    private static String canonical(Object o) {
        if (o instanceof Record r) {
            StringBuilder b = new StringBuilder(r.getClass().getName()).append('(');
            for (var c : r.getClass().getRecordComponents()) {
                try {
                    b.append(c.getName()).append('=').append(canonical(c.getAccessor().invoke(r))).append(';');
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return b.append(')').toString();
        }
        if (o instanceof long[] a) {
            return Arrays.toString(a);
        }
        if (o instanceof int[] a) {
            return Arrays.toString(a);
        }
        if (o instanceof boolean[] a) {
            return Arrays.toString(a);
        }
        if (o instanceof byte[] a) {
            return Arrays.toString(a);
        }
        if (o instanceof List<?> list) {
            List<String> out = new ArrayList<>();
            list.forEach(x -> out.add(canonical(x)));
            return out.toString();
        }
        return String.valueOf(o);
    }
}
