package org.stemstream.node.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.stemstream.node.counting.CountSummary;
import org.stemstream.node.counting.CountingSetup;
import org.stemstream.node.counting.OfflineCounter;
import org.stemstream.node.counting.ProgressLine;
import org.stemstream.protocol.RawScan;
import org.stemstream.protocol.SectorLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stemstream count}: the file-based workflow, raw files in, stempy's sparse HDF5 out. */
@Command(name = "count", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Count electrons in 4D Camera raw files into a sparse HDF5 file that stempy loads.")
final class CountCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Raw files of one scan (all modules).")
    List<Path> files;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE.h5",
            description = "Output file (default: scan<N>_counted.h5 in the current directory).")
    Path output;

    @Mixin
    CountingOptions counting;

    @Option(names = "--frames-per-position", paramLabel = "F", defaultValue = "0",
            description = "Frames at each probe position (default: the most found at any position).")
    int framesPerPosition;

    @Option(names = "--header-version", paramLabel = "V", defaultValue = "5",
            description = "Raw format version (default: ${DEFAULT-VALUE}): 5 (horizontal sectors), 4 (vertical sectors)"
                    + " or 3 (full frames).")
    int headerVersion;

    @Option(names = "--threads", paramLabel = "N", description = "Counting threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        OptionRange.atLeast(spec, "--threads", workers, 1);
        OptionRange.atLeast(spec, "--frames-per-position", framesPerPosition, 0);
        boolean thresholdFramesGiven = spec.commandLine().getParseResult().hasMatchedOption("--threshold-frames");
        CountingSetup setup = counting.toSetup(thresholdFramesGiven);
        try (RawScan scan = RawScan.open(files, SectorLayout.ofVersion(headerVersion), framesPerPosition)) {
            Path out = output != null ? output
                    : Path.of(String.format(Locale.ROOT, "scan%d_counted.h5", scan.scanNumber()));
            CountSummary summary;
            try (ProgressLine progress = new ProgressLine("counting", scan.frameSlots(), System.err)) {
                summary = OfflineCounter.count(scan, setup, out, workers, progress);
            }
            System.out.println(summary.describe());
        }
        return 0;
    }
}
