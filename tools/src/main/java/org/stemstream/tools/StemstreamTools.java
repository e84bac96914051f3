package org.stemstream.tools;

import org.stemstream.node.cli.Main;
import picocli.CommandLine;

/**
 * {@code bin/stemstream}: the product's command line with the tools beside it (the demo, the detector emulator, the
 * simulator's raw files and the benchmarks).
 */
public final class StemstreamTools {
    private StemstreamTools() {
    }

    public static void main(String[] args) {
        org.slf4j.LoggerFactory.getILoggerFactory(); // logging ready before Pekko's threads start using it
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code: 0 done, 1 failed, 2 bad usage or bad input. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        return Main.commandLine(new DemoCommand(), new DetectorCommand(), new SimulateCommand(), new BenchCommand());
    }
}
