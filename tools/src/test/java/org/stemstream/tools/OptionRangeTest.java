package org.stemstream.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** A numeric option outside its range is a usage error that names the option, the value and the range. */
class OptionRangeTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "detector --rate -5, --rate, -5",
        "detector --rate NaN, --rate, NaN",
        "detector --electrons -10, --electrons, -10",
        "detector --distinct-frames -1, --distinct-frames, -1",
        "detector --send-timeout 0, --send-timeout, 0",
        "detector --send-timeout -1, --send-timeout, -1",
        "detector --port 0, --port, 0",
        "detector --port 65534, --port, 65534",
        "detector --scan-number -1, --scan-number, -1",
        "detector --frames-per-position 0, --frames-per-position, 0",
        "detector --malformed -1, --malformed, -1",
        "detector --foreign-blocks -1, --foreign-blocks, -1",
        "detector --pause-after -2, --pause-after, -2",
        "detector --pause-ms -1, --pause-ms, -1",
        "detector --no-end 4, --no-end, 4",
        "simulate -o target/never-written --frames-per-position 0, --frames-per-position, 0",
        "simulate -o target/never-written --scan-number -1, --scan-number, -1",
        "simulate -o target/never-written --electrons -1, --electrons, -1",
        "simulate -o target/never-written --files-per-module 0, --files-per-module, 0",
        "simulate -o target/never-written --distinct-frames -1, --distinct-frames, -1",
        "demo --nodes 0, --nodes, 0",
        "demo --rate -1, --rate, -1",
        "demo --distinct-frames -1, --distinct-frames, -1",
        "bench kernel --iterations 0, --iterations, 0",
        "bench kernel --seconds -1, --seconds, -1",
        "bench count --threads 0, --threads, 0",
        "bench stream --rounds 0, --rounds, 0",
        "bench stream --distinct-frames -1, --distinct-frames, -1",
        "bench science --distinct-frames -1, --distinct-frames, -1",
        "bench memory --node-fps 0, --node-fps, 0",
        "bench memory --node-fps 5000, --node-fps, 5000",
    })
    void isRefusedAsBadUsage(String commandLine, String option, String value) {
        StringWriter err = new StringWriter();
        CommandLine line = StemstreamTools.commandLine();
        line.setOut(new PrintWriter(new StringWriter()));
        line.setErr(new PrintWriter(err, true));
        int exit = line.execute(commandLine.split(" "));
        assertEquals(2, exit, err.toString());
        String first = err.toString().lines().findFirst().orElse("");
        assertTrue(first.startsWith("Invalid value for option '" + option + "': " + value + " (valid: "), first);
    }
}
