package org.stemstream.tools;

import org.stemstream.node.cli.OptionRange;
import org.stemstream.node.cli.ScanSize;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.Specimen;
import org.stemstream.simulator.SyntheticScan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stemstream simulate}: writes a synthetic scan as raw files, with its ground truth. */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a synthetic 4D Camera scan (raw files, version 5) and its ground truth.")
final class SimulateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", required = true, description = "Where to write.")
    Path dir;

    @Option(names = "--scan", paramLabel = "WxH", defaultValue = "16x16", converter = ScanSize.Converter.class,
            description = "Probe positions, width x height (default: ${DEFAULT-VALUE}).")
    ScanSize scan;

    @Option(names = "--frames-per-position", paramLabel = "F", defaultValue = "1",
            description = "Frames at each probe position (default: ${DEFAULT-VALUE}).")
    int framesPerPosition;

    @Option(names = "--scan-number", paramLabel = "N", defaultValue = "1",
            description = "The scan number in the block headers and file names (default: ${DEFAULT-VALUE}).")
    long scanNumber;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the detector's noise and electrons (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--electrons", paramLabel = "N", defaultValue = "40",
            description = "Mean electrons per frame (default: ${DEFAULT-VALUE}).")
    double electrons;

    @Option(names = "--files-per-module", paramLabel = "K", defaultValue = "2",
            description = "Raw files each of the 4 modules writes (default: ${DEFAULT-VALUE}).")
    int filesPerModule;

    @Option(names = "--distinct-frames", paramLabel = "N", defaultValue = "0",
            description = "Repeat the first N frames' pixels (as the detector emulator's --distinct-frames); 0 (the"
                    + " default): all distinct.")
    int distinctFrames;

    @Option(names = "--specimen", description = "Scan the synthetic specimen (atomic columns in two grains, a hole)"
            + " instead of a featureless beam, and write its truth map (specimen_truth.csv); not with"
            + " --distinct-frames.")
    boolean specimen;

    @Override
    public Integer call() throws Exception {
        OptionRange.atLeast(spec, "--frames-per-position", framesPerPosition, 1);
        OptionRange.between(spec, "--scan-number", scanNumber, 0, 0xFFFF_FFFFL); // 32 bits in the block header
        OptionRange.atLeast(spec, "--electrons", electrons, 0);
        OptionRange.atLeast(spec, "--files-per-module", filesPerModule, 1);
        OptionRange.atLeast(spec, "--distinct-frames", distinctFrames, 0);
        if (specimen && distinctFrames > 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--specimen renders every frame"
                    + " (each position shows the specimen differently): it cannot be used with --distinct-frames");
        }
        SyntheticScan synthetic = new SyntheticScan(scanNumber, scan.width(), scan.height(), framesPerPosition,
                new SyntheticDetector(seed, electrons, 0.05), distinctFrames);
        if (specimen) {
            synthetic = synthetic.over(Specimen.LATTICE);
        }
        List<Path> files = synthetic.writeRawFiles(dir, filesPerModule);
        System.out.println("wrote " + synthetic.frames() + " frames in " + files.size() + " raw files and the"
                + " ground truth to " + dir);
        return 0;
    }
}
