package org.stemstream.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.node.CliRun;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;

/** The actor CLI's errors: each says what is wrong, exits non-zero, and none hangs. */
class CliErrorsTest {
    @TempDir
    Path dir;

    private static void assertError(CliRun result, String expected) {
        assertEquals(2, result.exitCode(), result.err());
        assertTrue(result.err().contains(expected), "expected '" + expected + "' in: " + result.err());
    }

    @Test
    void noNodeAtTheContactIsAClearErrorWithinSeconds() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        long start = System.nanoTime();
        assertError(CliRun.of("members", "--contact", "127.0.0.1:" + closed, "--ask-timeout", "2"),
                "no stemstream node answers at 127.0.0.1:" + closed);
        assertTrue((System.nanoTime() - start) / 1e9 < 15, "took too long");
        assertError(CliRun.of("scan", "list", "--contact", "nowhere"), "'nowhere' is not HOST:PORT");
    }

    @Test
    void badRequestsToARunningClusterSayWhy() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.awaitRouting(node, 1, Duration.ofSeconds(30));
            String contact = node.address().substring(node.address().indexOf('@') + 1);
            assertError(CliRun.of("scan", "status", "99", "--contact", contact), "no scan 99 is known to the cluster");
            String[] start = {"scan", "start", "--scan-number", "3", "--scan", "4x4", "-o",
                dir.resolve("three.h5").toString(), "--contact", contact};
            assertEquals(0, CliRun.of(start).exitCode());
            assertError(CliRun.of(start), "scan 3 is already running");
            assertError(CliRun.of("scan", "start", "--scan-number", "6", "--scan", "4x4", "-o",
                    dir.resolve("three.h5").toString(), "--contact", contact),
                    "scan 3 is writing " + dir.resolve("three.h5") + "; two scans never share an output file");
            assertError(CliRun.of("scan", "start", "--scan-number", "4", "--scan", "0x4", "-o", "x.h5",
                    "--contact", contact),
                    "a scan is 1 to 65535 positions wide and high");
            assertError(CliRun.of("scan", "start", "--scan-number", "4", "--scan", "4x4", "--contact", contact),
                    "a scan needs --scan-number, --scan WxH and --output");
            assertError(CliRun.of("scan", "start", "--scan-number", "5", "--scan", "4x4", "-o", "y.h5",
                    "--background-threshold", "30", "--contact", contact), "give both --background-threshold");
            // references the nodes cannot read refuse the scan when it is asked for, not when it runs
            java.nio.file.Path dark = java.nio.file.Files.write(dir.resolve("dark.f32"), new byte[1000]);
            assertError(CliRun.of("scan", "start", "--scan-number", "7", "--scan", "4x4", "-o",
                    dir.resolve("seven.h5").toString(), "--dark", dark.toString(), "--contact", contact),
                    "cannot read the references: dark reference " + dark + ": 1000 bytes, expected 1327104");
            assertError(CliRun.of("scan", "start", "--scan-number", "7", "--scan", "4x4", "-o",
                    dir.resolve("seven.h5").toString(), "--dark", dir.resolve("none.f32").toString(),
                    "--contact", contact), dir.resolve("none.f32") + ": no such file or directory");
            assertEquals(0, CliRun.of("scan", "cancel", "3", "--contact", contact).exitCode());
        }
    }

    @Test
    void nodeFlagsThatContradictEachOtherAreRefused() {
        assertError(CliRun.of("node", "--seed", "--join", "127.0.0.1:2552"), "--seed starts a new cluster");
        assertError(CliRun.of("node", "--join", "host-without-port"), "'host-without-port' is not HOST:PORT");
    }
}
