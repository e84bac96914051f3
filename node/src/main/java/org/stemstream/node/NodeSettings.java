package org.stemstream.node;

import com.typesafe.config.Config;
import java.time.Duration;
import org.stemstream.node.coordinator.ScanCoordinator;
import org.stemstream.node.ingest.IngestPipeline;

/** The node's settings, read once from the {@code stemstream} section of the configuration. */
public record NodeSettings(String ingressHost, int ingressPort, int receiveHighWaterMark, int bufferPool, int ioThreads,
                           IngestPipeline.Settings stream,
                           ScanCoordinator.Settings coordinator, Duration leaveDrain, boolean management,
                           boolean encryptedBlocksOnly) {

    /** Ports a node uses above its ingress port: 4 sector sockets and the routing socket. */
    public static final int PORTS = 5;

    public static NodeSettings from(Config config) {
        Config s = config.getConfig("stemstream");
        int parallelism = s.getInt("stream.counting-parallelism");
        NodeSettings settings = new NodeSettings(
                s.getString("ingress.host"),
                s.getInt("ingress.port"),
                s.getInt("ingress.receive-high-water-mark"),
                s.getInt("ingress.buffer-pool"),
                s.getInt("ingress.io-threads"),
                new IngestPipeline.Settings(
                        s.getInt("stream.max-open-frames"),
                        s.getDuration("stream.frame-timeout"),
                        s.getInt("stream.calibration-frames"),
                        parallelism > 0 ? parallelism : Runtime.getRuntime().availableProcessors(),
                        s.getInt("cluster.partitions"),
                        s.getDuration("testing.counting-delay")),
                new ScanCoordinator.Settings(s.getInt("cluster.partitions"), s.getDuration("cluster.switch-delay"),
                        s.getLong("cluster.switch-margin-frames"), s.getInt("stream.calibration-frames")),
                s.getDuration("cluster.leave-drain"),
                s.getBoolean("management.enabled"),
                s.getBoolean("security.encrypted-blocks-only"));
        settings.check();
        return settings;
    }

    private void check() {
        require(ingressPort > 0 && ingressPort + PORTS - 1 <= 65535, "stemstream.ingress.port " + ingressPort
                + " must leave room for " + PORTS + " ports below 65536");
        require(receiveHighWaterMark > 0, "stemstream.ingress.receive-high-water-mark must be positive");
        require(ioThreads > 0, "stemstream.ingress.io-threads must be positive");
        require(stream.maxOpenFrames() > 0, "stemstream.stream.max-open-frames must be positive");
        require(stream.calibrationFrames() > 0, "stemstream.stream.calibration-frames must be positive");
        require(!stream.frameTimeout().isNegative() && !stream.frameTimeout().isZero(),
                "stemstream.stream.frame-timeout must be positive");
        require(coordinator.partitions() > 0, "stemstream.cluster.partitions must be positive");
    }

    private static void require(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException("configuration: " + problem);
        }
    }

    /** The endpoint sector s binds. */
    public String sectorEndpoint(int sector) {
        return "tcp://" + ingressHost + ":" + (ingressPort + sector);
    }

    /** The endpoint the routing socket binds, above the four sector sockets. */
    public String routingEndpoint() {
        return "tcp://" + ingressHost + ":" + (ingressPort + 4);
    }
}
