package org.stemstream.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stemstream.node.CliRun;
import org.stemstream.node.Fixtures;
import org.stemstream.node.FreePorts;
import org.stemstream.node.NodeConfig;

/** Operator mistakes refused before anything runs: one line that names what is wrong, and exit code 2. */
class InputValidationTest {
    @TempDir
    Path dir;

    /** Exit code 2 and the message on a line of its own (a usage error's help follows), never a stack trace. */
    private static void assertRefused(CliRun result, String expected) {
        assertEquals(2, result.exitCode(), result.out() + result.err());
        assertTrue(result.err().lines().anyMatch(line -> line.contains(expected)),
                "expected '" + expected + "' in: " + result.err());
        assertFalse(result.err().contains("\tat "), "no stack trace: " + result.err());
    }

    private CliRun count(String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("count", "-o", dir.resolve("counted.h5").toString()));
        args.addAll(List.of(options));
        Fixtures.tinyScan(1).forEach(f -> args.add(f.toString()));
        return CliRun.of(args.toArray(String[]::new));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--background-sigma=-4  | '--background-sigma': -4 (valid: above 0)",
        "--xray-sigma=0         | '--xray-sigma': 0 (valid: above 0)",
        "--threshold-samples=0  | '--threshold-samples': 0 (valid: at least 1)",
        "--threshold-frames=0   | '--threshold-frames': 0 (valid: at least 1)",
        "--threads=0            | '--threads': 0 (valid: at least 1)",
        "--frames-per-position=-1 | '--frames-per-position': -1 (valid: at least 0)",
        "--background-threshold=NaN | '--background-threshold': NaN (valid: a finite number)"})
    void countingFlagsThatMakeNoSenseAreRefused(String option, String expected) throws Exception {
        String[] given = option.startsWith("--background-threshold") ? new String[] {option, "--xray-threshold=9"}
                : new String[] {option};
        assertRefused(count(given), expected);
        assertTrue(Files.notExists(dir.resolve("counted.h5")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--ask-timeout=-1          | '--ask-timeout': -1 (valid: at least 1)",
        "--timeout=-1              | '--timeout': -1 (valid: above 0)",
        "--frames-per-position=0   | '--frames-per-position': 0 (valid: at least 1)",
        "--background-sigma=-4     | '--background-sigma': -4 (valid: above 0)"})
    void scanFlagsThatMakeNoSenseAreRefusedBeforeTheClusterIsAsked(String option, String expected) {
        // nothing listens at the contact: the refusal comes before any attempt to reach it
        assertRefused(CliRun.of("scan", "start", "--scan-number", "3", "--scan", "4x4", "-o",
                dir.resolve("s.h5").toString(), "--contact", "127.0.0.1:1", option), expected);
    }

    @Test
    void anExistingOutputIsNeverOverwrittenByOfflineCounting() throws Exception {
        Path existing = dir.resolve("counted.h5");
        Files.writeString(existing, "an earlier scan");
        assertRefused(count("--background-threshold=28", "--xray-threshold=1000"),
                existing + ": it already exists; counted data is never overwritten");
        assertEquals("an earlier scan", Files.readString(existing));
    }

    @Test
    void aMissingFileIsNamedAsMissing() {
        Path absent = dir.resolve("data_scan0000000001_module0_000.data");
        assertRefused(CliRun.of("count", "-o", dir.resolve("c.h5").toString(), absent.toString()),
                absent + ": no such file or directory");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "stemstream { ingres { port = 15000 } }        | unknown setting stemstream.ingres.port",
        "stemstream.stream.idle-timout = 5s           | unknown setting stemstream.stream.idle-timout",
        "stemstream { stream { max-open-frames = -3 } } | stemstream.stream.max-open-frames must be positive"})
    void configurationTyposAndNonsenseAreRefusedWithTheKeyAndTheFile(String text, String expected) throws Exception {
        Path config = dir.resolve("node.conf");
        Files.writeString(config, "\n" + text + "\n");
        // what `stemstream node --config FILE` loads before anything starts (it exits 2 with this message)
        String message = assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.load(config, Map.of())).getMessage();
        assertTrue(message.contains(expected), message);
        if (expected.startsWith("unknown")) {
            assertTrue(message.contains(config.getFileName() + ": 2"), "names the file and line: " + message);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--port=70000            | '--port': 70000 (valid: 1 to 65531)",
        "--cluster-port=-2       | '--cluster-port': -2 (valid: 0 to 65535)"})
    void nodePortsOutsideTheirRangeAreRefused(String option, String expected) {
        assertRefused(CliRun.of("node", option), expected);
    }

    @Test
    void aLeaseFileInADirectoryThatDoesNotExistIsRefused() {
        assertRefused(CliRun.of("node", "--lease-file", "/no/such/dir/cluster.lease"),
                "stemstream.cluster.lease-file /no/such/dir/cluster.lease: no directory /no/such/dir");
    }

    /** Each of a node's ports held by another process: a one-line refusal naming it and the option to change. */
    @ParameterizedTest
    @CsvSource({"--port, detector sockets", "--cluster-port, cluster port", "--management-port, management port"})
    @Timeout(120) // a node that starts in spite of the taken port would run until stopped
    void aPortInUseIsRefusedInOneLine(String option, String what) throws Exception {
        int ingress = FreePorts.nodeBase();
        Map<String, Integer> ports = new java.util.HashMap<>(Map.of("--port", ingress,
                "--cluster-port", FreePorts.any(), "--management-port", FreePorts.any()));
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", ports.get(option)));
            List<String> args = new ArrayList<>(List.of("node"));
            ports.forEach((name, port) -> args.addAll(List.of(name, String.valueOf(port))));
            assertRefused(CliRun.of(args.toArray(String[]::new)), "cannot bind the " + what + " " + (option.equals(
                    "--port") ? "tcp://" : "") + "127.0.0.1:" + ports.get(option));
        }
    }
}
