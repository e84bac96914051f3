package org.stemstream.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.cli.Main;

/** The actor CLI's errors: each says what is wrong, exits non-zero, and none hangs. */
class CliErrorsTest {
    @TempDir
    Path dir;

    /** Runs a command; returns its exit code and what it printed on stderr. */
    private static Object[] run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(saved);
        }
    }

    private static void assertError(Object[] result, String expected) {
        assertEquals(2, result[0], (String) result[1]);
        assertTrue(((String) result[1]).contains(expected), "expected '" + expected + "' in: " + result[1]);
    }

    @Test
    void noNodeAtTheContactIsAClearErrorWithinSeconds() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        long start = System.nanoTime();
        assertError(run("members", "--contact", "127.0.0.1:" + closed, "--ask-timeout", "2"),
                "no stemstream node answers at 127.0.0.1:" + closed);
        assertTrue((System.nanoTime() - start) / 1e9 < 15, "took too long");
        assertError(run("scan", "list", "--contact", "nowhere"), "'nowhere' is not HOST:PORT");
    }

    @Test
    void badRequestsToARunningClusterSayWhy() throws Exception {
        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.awaitRouting(node, 1, Duration.ofSeconds(30));
            String contact = node.address().substring(node.address().indexOf('@') + 1);
            assertError(run("scan", "status", "99", "--contact", contact), "no scan 99 is known to the cluster");
            String[] start = {"scan", "start", "--scan-number", "3", "--scan", "4x4", "-o",
                dir.resolve("three.h5").toString(), "--contact", contact};
            assertEquals(0, run(start)[0]);
            assertError(run(start), "scan 3 is already running");
            assertError(run("scan", "start", "--scan-number", "4", "--scan", "0x4", "-o", "x.h5", "--contact", contact),
                    "a scan is 1 to 65535 positions wide and high");
            assertError(run("scan", "start", "--scan-number", "4", "--scan", "4x4", "--contact", contact),
                    "a scan needs --scan-number, --scan WxH and --output");
            assertError(run("scan", "start", "--scan-number", "5", "--scan", "4x4", "-o", "y.h5",
                    "--background-threshold", "30", "--contact", contact), "give both --background-threshold");
            assertEquals(0, run("scan", "cancel", "3", "--contact", contact)[0]);
        }
    }

    @Test
    void nodeFlagsThatContradictEachOtherAreRefused() {
        assertError(run("node", "--seed", "--join", "127.0.0.1:2552"), "--seed starts a new cluster");
        assertError(run("node", "--join", "host-without-port"), "'host-without-port' is not HOST:PORT");
    }
}
