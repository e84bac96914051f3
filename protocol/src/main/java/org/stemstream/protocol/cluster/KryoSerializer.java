package org.stemstream.protocol.cluster;

import org.stemstream.protocol.SampleStatistics;
import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Serializes every {@link ClusterMessage} with Kryo 5 and explicit class registration: an unregistered class fails
 * loudly instead of being written by name. Actor references travel as their serialized path.
 */
public final class KryoSerializer extends JSerializer {
    /** Pekko's serializer id for stemstream messages. */
    public static final int IDENTIFIER = 8_472_001;

    /** Every class that goes over the wire, in a fixed order (the order is the wire id). */
    static final List<Class<?>> REGISTERED = List.of(
            ScanRequest.class, ScanView.class, ScanView.State.class, ScanView.SectorAccount.class,
            ScanView.NodeAccount.class, RoutingTable.class, RoutingTable.Endpoint.class, SampleStatistics.class,
            GatewayProtocol.StartScan.class, GatewayProtocol.GetScan.class, GatewayProtocol.CancelScan.class,
            GatewayProtocol.WhenFinished.class, GatewayProtocol.ListScans.class, GatewayProtocol.GetMembers.class,
            GatewayProtocol.ScanFound.class, GatewayProtocol.ScanRefused.class, GatewayProtocol.ScanList.class,
            GatewayProtocol.Members.class, GatewayProtocol.Member.class,
            CoordinatorProtocol.NodeUp.class, CoordinatorProtocol.NodeLeaving.class,
            CoordinatorProtocol.NodeProgress.class, CoordinatorProtocol.ThresholdSamples.class,
            CoordinatorProtocol.FileOpened.class,
            CoordinatorProtocol.FileClosed.class,
            NodeProtocol.OpenScan.class, NodeProtocol.UseThresholds.class, NodeProtocol.EndScanInput.class,
            WorkerProtocol.Count.class, WorkerProtocol.Accepted.class, WorkerProtocol.Flush.class,
            WorkerProtocol.Flushed.class, WorkerProtocol.FramesStored.class, WorkerProtocol.HandOff.class,
            CoordinatorProtocol.PartitionProgress.class, CoordinatorProtocol.ScanOpened.class, GatewayProtocol.GetPartitions.class,
            GatewayProtocol.Partitions.class, GatewayProtocol.Partition.class,
            WriterProtocol.OpenFile.class, WriterProtocol.Frames.class, WriterProtocol.CommitFile.class,
            WriterProtocol.AbandonFile.class,
            SectorProtocol.Report.class, SectorProtocol.GetHealth.class, SectorProtocol.Health.class,
            GatewayProtocol.GetSectorHealth.class,
            ArrayList.class, LinkedHashMap.class, long[].class, int[].class, boolean[].class, double[].class,
            GatewayProtocol.GetPictures.class, GatewayProtocol.Picture.class, GatewayProtocol.NoPictures.class,
            WriterProtocol.RenderPictures.class, byte[].class,
            WorkerProtocol.ScanClosed.class, NodeProtocol.KeepReplica.class, CoordinatorProtocol.ReplicaReady.class,
            CoordinatorProtocol.Restored.class, ReplicaProtocol.Restore.class, ReplicaProtocol.Release.class,
            WriterProtocol.UseReplica.class, ScanCheckpoint.class, NodeProtocol.SendSamples.class);

    /** Bytes of stemstream messages serialized in this JVM: what went to other nodes (local sends are not). */
    private static final java.util.concurrent.atomic.LongAdder SERIALIZED = new java.util.concurrent.atomic.LongAdder();

    private final Pool<Kryo> pool;

    public static long bytesSerialized() {
        return SERIALIZED.sum();
    }

    public KryoSerializer(ExtendedActorSystem system) {
        ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
        this.pool = new Pool<>(true, false, 16) {
            @Override
            protected Kryo create() {
                return newKryo(resolver);
            }
        };
    }

    /** A Kryo that knows every stemstream message; actor references resolve through {@code resolver}. */
    static Kryo newKryo(ActorRefResolver resolver) {
        Kryo kryo = new Kryo();
        kryo.setRegistrationRequired(true);
        kryo.setReferences(false);
        for (Class<?> type : REGISTERED) {
            kryo.register(type);
        }
        kryo.register(actorRefClass(), new ActorRefSerializer(resolver));
        return kryo;
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public boolean includeManifest() {
        return false;
    }

    @Override
    public byte[] toBinary(Object message) {
        if (!(message instanceof ClusterMessage)) {
            throw new IllegalArgumentException("not a stemstream cluster message: " + message.getClass().getName());
        }
        Kryo kryo = pool.obtain();
        try (Output out = new Output(256, -1)) {
            kryo.writeClassAndObject(out, message);
            SERIALIZED.add(out.position());
            return out.toBytes();
        } finally {
            pool.free(kryo);
        }
    }

    @Override
    public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
        Kryo kryo = pool.obtain();
        try (Input in = new Input(bytes)) {
            return kryo.readClassAndObject(in);
        } finally {
            pool.free(kryo);
        }
    }

    /** Pekko's typed actor reference class: there is one implementation, the adapter over a classic reference. */
    private static Class<?> actorRefClass() {
        try {
            return Class.forName("org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("Pekko's typed actor reference class moved", e);
        }
    }

    /** An actor reference as the string Pekko's resolver makes of it. */
    private static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
        private final ActorRefResolver resolver;

        ActorRefSerializer(ActorRefResolver resolver) {
            this.resolver = resolver;
        }

        @Override
        public void write(Kryo kryo, Output output, ActorRef<?> ref) {
            output.writeString(resolver.toSerializationFormat(ref));
        }

        @Override
        public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
            return resolver.resolveActorRef(input.readString());
        }
    }
}
