package org.stemstream.node.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.stemstream.node.NodeConfig;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.scan.ScanCoordinator;
import org.stemstream.node.scan.ScanSpec;
import org.stemstream.node.scan.ScanStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stemstream node}: runs a node that takes detector sectors over ZeroMQ and counts them. */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a node: sector sockets on host:port+0..3, counting scans as they stream in.")
final class NodeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (default: application.conf).")
    Path config;

    @Option(names = "--host", description = "Address the sector sockets bind (default: from the config).")
    String host;

    @Option(names = "--port", description = "First of the four sector ports (default: from the config).")
    Integer port;

    @Mixin
    ScanOptions scan;

    @Option(names = "--exit-after-scan", description = "Stop the node once the scan given here has ended.")
    boolean exitAfterScan;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> overrides = new HashMap<>();
        if (host != null) {
            overrides.put("stemstream.ingress.host", host);
        }
        if (port != null) {
            overrides.put("stemstream.ingress.port", port);
        }
        if (exitAfterScan && !scan.given()) {
            throw new IllegalArgumentException("--exit-after-scan needs a scan (--scan-number, --scan, --output)");
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (StemstreamNode node = StemstreamNode.start(NodeConfig.load(config, overrides))) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            System.err.println("stemstream node: sector sockets " + node.settings().sectorEndpoint(0) + " .. +3");
            if (!scan.given()) {
                stop.await();
                return 0;
            }
            ScanSpec spec = scan.toSpec(node.settings().scanIdleTimeout());
            if (node.startScan(spec, null).toCompletableFuture().join() instanceof ScanCoordinator.Refused refused) {
                throw new IllegalArgumentException(refused.reason());
            }
            System.err.println("scan " + spec.scanNumber() + " waiting for frames");
            ScanStatus status = ScanProgress.follow(node, spec.scanNumber());
            System.out.println(status.describe());
            System.out.println(HeapUse.describe());
            if (!exitAfterScan) {
                stop.await();
            }
            return status.state() == ScanStatus.State.DONE ? 0 : 1;
        }
    }

}
