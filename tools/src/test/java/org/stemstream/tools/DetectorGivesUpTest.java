package org.stemstream.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.stemstream.node.FreePorts;
import picocli.CommandLine;

/** {@code stemstream detector} pointed where no node listens ends with one line that says so, and exit code 3. */
class DetectorGivesUpTest {
    @Test
    void noNodeAtThePortIsOneLineAndExitCode3() throws Exception {
        int port = FreePorts.nodeBase();
        StringWriter err = new StringWriter();
        CommandLine line = StemstreamTools.commandLine();
        line.setErr(new PrintWriter(err, true));
        int exit = CompletableFuture.supplyAsync(() -> line.execute("detector", "--port", String.valueOf(port),
                "--scan", "4x4", "--send-timeout", "1000")).get(2, TimeUnit.MINUTES);
        assertEquals(DetectorCommand.UNREACHABLE, exit, err.toString());
        assertEquals("stemstream detector: sector 0: no routing table from 127.0.0.1:" + port + " within 1000 ms"
                + " (is a node running there?); sent 0 of 16 blocks, 16 unsent" + System.lineSeparator(),
                err.toString());
    }
}
