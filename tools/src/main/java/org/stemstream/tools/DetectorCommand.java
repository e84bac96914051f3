package org.stemstream.tools;

import org.stemstream.node.cli.OptionRange;
import org.stemstream.node.cli.ScanSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.producer.NodesUnreachable;
import org.stemstream.producer.SessionRefused;
import org.stemstream.protocol.security.ProducerKey;
import org.stemstream.emulator.ReplayFeed;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.Specimen;
import org.stemstream.simulator.SyntheticScan;
import org.stemstream.simulator.TruthFiles;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stemstream detector}: the detector's four receiver servers, emulated. */
@Command(name = "detector", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Emulate the detector's 4 receiver servers: stream a synthetic or replayed scan to a node.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the scan was sent", "1:failed", "2:bad usage or bad input",
                "3:no node took a block (or gave the routing table) in time: one line says which node and sector,"
                        + " and how many blocks were sent"})
final class DetectorCommand implements Callable<Integer> {
    /** The exit code when no node could be reached in time. */
    static final int UNREACHABLE = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "The node's address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "6200",
            description = "The node's first sector port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--rate", paramLabel = "FPS", defaultValue = "0",
            description = "Frames per second (default: as fast as the node takes them).")
    double rate;

    @Option(names = "--send-timeout", paramLabel = "MS",
            description = "Give up (exit code 3) when a block waits longer than this in all for a node to take it,"
                    + " retries and routing table fetches included; it bounds the wait for the first routing table"
                    + " too (default: wait for the nodes, and 15 s for the first routing table).")
    Integer sendTimeout;

    @Option(names = "--retention-mb", paramLabel = "MB", defaultValue = "256",
            description = "Per sector, the most MB of sent blocks kept until the cluster has stored their frames, to"
                    + " send again if their node is lost; full, sending waits. 0 keeps nothing: a lost node then"
                    + " loses its frames (default: ${DEFAULT-VALUE}).")
    long retentionMegabytes;

    @Option(names = "--security", paramLabel = "DIR",
            description = "Credentials made by stemstream keys init (only its producer.key is read): open a session"
                    + " with each node and seal every message, as nodes with security on require.")
    Path security;

    @Option(names = "--encrypt", description = "With --security, also encrypt the pixels (AES-256-GCM): for"
            + " networks others can read.")
    boolean encrypt;

    @Option(names = "--replay", paramLabel = "FILE", arity = "1..*", description = "Replay these raw files.")
    List<Path> replay;

    @Option(names = "--scan-number", paramLabel = "N", defaultValue = "1",
            description = "Scan number of the synthetic scan (default: ${DEFAULT-VALUE}).")
    long scanNumber;

    @Option(names = "--scan", paramLabel = "WxH", defaultValue = "16x16", converter = ScanSize.Converter.class,
            description = "Probe positions of the synthetic scan, width x height (default: ${DEFAULT-VALUE}).")
    ScanSize scan;

    @Option(names = "--frames-per-position", paramLabel = "F", defaultValue = "1",
            description = "Frames at each probe position of the synthetic scan (default: ${DEFAULT-VALUE}).")
    int framesPerPosition;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the synthetic detector's noise and electrons (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--electrons", paramLabel = "N", defaultValue = "40",
            description = "Mean electrons per synthetic frame (default: ${DEFAULT-VALUE}).")
    double electrons;

    @Option(names = "--distinct-frames", paramLabel = "N", defaultValue = "0",
            description = "Render N frames once and repeat them (fast); 0, the default, renders every frame.")
    int distinctFrames;

    @Option(names = "--specimen", description = "Scan the synthetic specimen (atomic columns in two grains, a hole)"
            + " instead of a featureless beam; every frame is rendered, so not with --distinct-frames.")
    boolean specimen;

    @Option(names = "--truth-dir", paramLabel = "DIR", description = "Write the synthetic scan's ground truth here.")
    Path truthDir;

    @ArgGroup(exclusive = false, heading = "%nTesting (faults a real detector never adds on purpose):%n")
    Faults faults = new Faults();

    static final class Faults {
        @Option(names = "--drop", paramLabel = "S:F", split = ",", description = "Do not send sector S of frame F.")
        List<String> drop = List.of();

        @Option(names = "--duplicate", paramLabel = "S:F", split = ",", description = "Send sector S of frame F twice.")
        List<String> duplicate = List.of();

        @Option(names = "--malformed", paramLabel = "N", defaultValue = "0",
                description = "Send N malformed messages first (default: ${DEFAULT-VALUE}).")
        int malformed;

        @Option(names = "--foreign-blocks", paramLabel = "N", defaultValue = "0",
                description = "Send N blocks of another scan first (default: ${DEFAULT-VALUE}).")
        int foreign;

        @Option(names = "--pause-after", paramLabel = "I", defaultValue = "-1",
                description = "Pause after frame index I (default: no pause).")
        long pauseAfter;

        @Option(names = "--pause-ms", paramLabel = "MS", defaultValue = "0",
                description = "How long the pause after --pause-after lasts, in ms (default: ${DEFAULT-VALUE}).")
        long pauseMillis;

        @Option(names = "--no-end", paramLabel = "S", split = ",", description = "Sectors that send no end of scan.")
        List<Integer> noEnd = List.of();

        FaultInjection toFaults() {
            return new FaultInjection(FaultInjection.parseAll(drop), FaultInjection.parseAll(duplicate), malformed,
                    foreign, pauseAfter, Duration.ofMillis(pauseMillis), Set.copyOf(noEnd));
        }
    }

    @Override
    public Integer call() throws Exception {
        checkRanges();
        FaultInjection injected = faults.toFaults();
        DetectorEmulator.Settings settings = DetectorEmulator.Settings.to(host, port).atRate(rate)
                .withSendTimeout(sendTimeout == null ? -1 : sendTimeout).withRetention(retentionMegabytes << 20);
        if (security != null) {
            settings = settings.withSecurity(ProducerKey.read(security.resolve(ProducerKey.FILE)), encrypt);
        }
        DetectorEmulator.Result result;
        try {
            result = send(settings, injected);
        } catch (NodesUnreachable e) {
            spec.commandLine().getErr().println("stemstream detector: " + e.getMessage());
            return UNREACHABLE;
        } catch (SessionRefused e) {
            spec.commandLine().getErr().println("stemstream detector: " + e.getMessage());
            return 1;
        }
        long blocks = java.util.Arrays.stream(result.blocksSent()).sum();
        System.out.printf(Locale.ROOT, "sent %d blocks (per sector %s) in %.2f s, %.0f frames/s%n", blocks,
                java.util.Arrays.toString(result.blocksSent()), result.seconds(), blocks / 4.0 / result.seconds());
        if (result.replayed() > 0 || result.retentionWaits() > 0 || result.unacknowledged() > 0) {
            System.out.printf(Locale.ROOT, "%d blocks sent again (their node was lost), %d waits for a full"
                    + " retention (peak %.0f MB a sector), %d blocks never said stored%n", result.replayed(),
                    result.retentionWaits(), result.peakRetainedBytes() / 1e6, result.unacknowledged());
        }
        if (result.heldBack() > 0) {
            System.out.printf(Locale.ROOT, "%d blocks held back while their node was silent; the longest a block"
                    + " kept its receiver waiting: %.2f s%n", result.heldBack(), result.longestSendSeconds());
        }
        if (result.forgedAnswers() > 0) {
            System.out.printf(Locale.ROOT, "%d answers about stored frames refused: their seal did not match the"
                    + " question (forged or stale)%n", result.forgedAnswers());
        }
        return 0;
    }

    private void checkRanges() {
        OptionRange.between(spec, "--port", port, 1, 65535 - 4); // a node's 5 ports from it
        if (encrypt && security == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--encrypt needs --security DIR"
                    + " (the session keys come from its producer key)");
        }
        OptionRange.atLeast(spec, "--rate", rate, 0);
        if (sendTimeout != null) {
            OptionRange.atLeast(spec, "--send-timeout", sendTimeout, 1);
        }
        OptionRange.between(spec, "--retention-mb", retentionMegabytes, 0, 1L << 20);
        OptionRange.between(spec, "--scan-number", scanNumber, 0, 0xFFFF_FFFFL); // 32 bits in the block header
        OptionRange.atLeast(spec, "--frames-per-position", framesPerPosition, 1);
        OptionRange.atLeast(spec, "--electrons", electrons, 0);
        OptionRange.atLeast(spec, "--distinct-frames", distinctFrames, 0);
        if (specimen && distinctFrames > 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--specimen renders every frame"
                    + " (each position shows the specimen differently): it cannot be used with --distinct-frames");
        }
        OptionRange.atLeast(spec, "--malformed", faults.malformed, 0);
        OptionRange.atLeast(spec, "--foreign-blocks", faults.foreign, 0);
        OptionRange.atLeast(spec, "--pause-after", faults.pauseAfter, -1);
        OptionRange.atLeast(spec, "--pause-ms", faults.pauseMillis, 0);
        for (int sector : faults.noEnd) {
            OptionRange.between(spec, "--no-end", sector, 0, 3);
        }
    }

    private DetectorEmulator.Result send(DetectorEmulator.Settings settings, FaultInjection injected)
            throws Exception {
        if (replay != null) {
            try (ReplayFeed feed = new ReplayFeed(replay)) {
                return DetectorEmulator.run(feed, settings, injected);
            }
        }
        SyntheticScan synthetic = new SyntheticScan(scanNumber, scan.width(), scan.height(), framesPerPosition,
                new SyntheticDetector(seed, electrons, 0.05), distinctFrames);
        if (specimen) {
            synthetic = synthetic.over(Specimen.LATTICE);
        }
        if (truthDir == null) {
            return DetectorEmulator.run(new SyntheticFeed(synthetic, SyntheticDetector.NO_TRUTH), settings, injected);
        }
        java.nio.file.Files.createDirectories(truthDir);
        if (specimen) {
            Specimen.LATTICE.writeTruth(truthDir, scan.width(), scan.height());
        }
        try (TruthFiles truth = new TruthFiles(truthDir, framesPerPosition)) {
            return DetectorEmulator.run(new SyntheticFeed(synthetic, truth), settings, injected);
        }
    }
}
