package org.stemstream.node.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.cli.Scans;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * Where the counted file cannot be written: the scan is refused or fails with the system's reason, and nothing
 * half-written stays. The file systems are small tmpfs mounts (the tests run as root, as bin/test does).
 */
class OutputFailuresTest {
    @TempDir
    Path dir;

    private Path mounted;

    private Path mount(String options) throws Exception {
        Path at = Files.createDirectories(dir.resolve("fs"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", at.toString())
                .redirectErrorStream(true).start();
        String out = new String(mount.getInputStream().readAllBytes());
        Assumptions.assumeTrue(mount.waitFor() == 0, "mounting a tmpfs needs root: " + out);
        mounted = at;
        return at;
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted != null) {
            new ProcessBuilder("umount", mounted.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void aFullDiskFailsTheScanWithItsReasonAndLeavesNoPartialFile() throws Exception {
        Path small = mount("size=64k");
        // 256 frames of ~2000 events each: about 2 MB of events for a 64 kB file system, so the disk fills while
        // frames are stored (the writer holds up to 1 MB before it writes), not only at the commit
        SyntheticScan scan = new SyntheticScan(1, 16, 16, 1, new SyntheticDetector(3, 2000, 0), 4);
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.start(node, Scans.given(1, 16, 16, 29, 4000, small.resolve("full.h5"), 30));
            DetectorEmulator.run(new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()), FaultInjection.NONE);
            ScanView status = TestNodes.awaitFinished(node, 1, Duration.ofSeconds(60));
            assertEquals(ScanView.State.FAILED, status.state(), status.describe());
            assertTrue(status.message().contains("No space left on device"), status.message());
        }
        try (var left = Files.list(small)) {
            assertEquals(0, left.count(), "nothing half-written stays");
        }
    }

    @Test
    void aReadOnlyOutputIsRefusedWhenTheScanIsAskedFor() throws Exception {
        Path readOnly = mount("ro,size=64k");
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            GatewayProtocol.ScanReply reply = node.startScan(Scans.given(2, 4, 4, 29, 400,
                    readOnly.resolve("scan.h5"), 30), null).toCompletableFuture().join();
            assertTrue(reply instanceof GatewayProtocol.ScanRefused refused
                    && refused.reason().contains("cannot create the output " + readOnly.resolve("scan.h5"))
                    && refused.reason().contains("Read-only file system"), reply.toString());
        }
    }
}
