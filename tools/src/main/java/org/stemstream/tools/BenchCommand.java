package org.stemstream.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.stemstream.benchmarks.KernelThroughput;
import org.stemstream.node.FreePorts;
import org.stemstream.node.cli.OptionRange;
import org.stemstream.node.cli.ScanSize;
import org.stemstream.node.counting.CountSummary;
import org.stemstream.node.counting.CountingSetup;
import org.stemstream.node.counting.OfflineCounter;
import org.stemstream.node.counting.ProgressLine;
import org.stemstream.node.counting.ThresholdPolicy;
import org.stemstream.protocol.RawScan;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;
import org.stemstream.tools.bench.NodeCpu;
import org.stemstream.tools.bench.StreamBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stemstream bench}: measurements that print their figures. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that print their figures.",
        subcommands = {BenchCommand.Kernel.class, BenchCommand.Count.class, BenchCommand.Stream.class,
                BenchCommand.Science.class, BenchCommand.Memory.class, BenchCommand.Cluster.class,
                BenchCommand.Node.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Removes a benchmark's temporary directory and everything in it. */
    static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Command(name = "kernel", mixinStandardHelpOptions = true,
            description = "Counting kernel frames/s (JMH) on synthetic 576 x 576 frames with ~40 electrons,"
                    + " on 1 and 2 threads, or those given.")
    static final class Kernel implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--iterations", paramLabel = "N", defaultValue = "5",
                description = "Timed iterations; the median is reported (default: ${DEFAULT-VALUE}).")
        int iterations;

        @Option(names = "--seconds", paramLabel = "S", defaultValue = "2",
                description = "Seconds per timed iteration (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--correction", paramLabel = "MODE", defaultValue = "none",
                description = "none, or dark to subtract a per-pixel dark first (default: ${DEFAULT-VALUE}).")
        String correction;

        @Option(names = "--threads", paramLabel = "N", split = ",", defaultValue = "1,2",
                description = "Thread counts to measure, each on its own (default: ${DEFAULT-VALUE}).")
        int[] threads;

        @Override
        public Integer call() throws Exception {
            OptionRange.atLeast(spec, "--iterations", iterations, 1);
            OptionRange.atLeast(spec, "--seconds", seconds, 1);
            for (int t : threads) {
                OptionRange.atLeast(spec, "--threads", t, 1);
            }
            StringBuilder figures = new StringBuilder();
            for (int t : threads) {
                double rate = KernelThroughput.medianFramesPerSecond(t, correction, iterations, seconds);
                figures.append(String.format(Locale.ROOT, "kernel_frames_per_s_%d_thread%s=%.0f ", t,
                        t == 1 ? "" : "s", rate));
            }
            System.out.println(figures.toString().strip());
            return 0;
        }
    }

    @Command(name = "count", mixinStandardHelpOptions = true,
            description = "End-to-end offline count of a synthetic scan whose raw files sit in the page cache.")
    static final class Count implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--scan", paramLabel = "WxH", defaultValue = "64x64", converter = ScanSize.Converter.class,
                description = "Probe positions of the synthetic scan, width x height (default: ${DEFAULT-VALUE}).")
        ScanSize scan;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "2",
                description = "Counting threads (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--work-dir", paramLabel = "DIR",
                description = "Where the raw files go (default: a temporary directory).")
        Path workDir;

        @Override
        public Integer call() throws Exception {
            OptionRange.atLeast(spec, "--threads", threads, 1);
            Path dir = workDir != null ? workDir : Files.createTempDirectory("stemstream-bench");
            SyntheticScan synthetic = new SyntheticScan(1, scan.width(), scan.height(), 1, SyntheticDetector.typical(3));
            List<Path> files = synthetic.writeRawFiles(dir, 2);
            for (Path f : files) { // into the page cache
                try (var in = Files.newInputStream(f)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
            CountingSetup setup = CountingSetup.of(null, null, null, null, ThresholdPolicy.Computed.DEFAULT);
            CountSummary summary;
            try (RawScan raw = RawScan.open(files);
                 ProgressLine progress = new ProgressLine("counting", raw.frameSlots(), System.err)) {
                summary = OfflineCounter.count(raw, setup, dir.resolve("counted.h5"), threads, progress);
            }
            System.out.println(summary.describe());
            System.out.printf(Locale.ROOT, "count_frames_per_s=%.0f threads=%d frames=%d%n",
                    summary.framesPerSecond(), threads, summary.framesCounted());
            if (workDir == null) {
                deleteTree(dir);
            }
            return 0;
        }
    }

    @Command(name = "stream", mixinStandardHelpOptions = true,
            description = "Emulator -> node throughput and latency, side by side with bare JeroMQ on the same sockets"
                    + " and with producers that keep nothing for replay.")
    static final class Stream implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--scan", paramLabel = "WxH", defaultValue = "64x64", converter = ScanSize.Converter.class,
                description = "Probe positions of the synthetic scan, width x height (default: ${DEFAULT-VALUE}).")
        ScanSize scan;

        @Option(names = "--distinct-frames", paramLabel = "N", defaultValue = "256",
                description = "Distinct synthetic frames, rendered once and repeated (default: ${DEFAULT-VALUE}).")
        int distinctFrames;

        @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
                description = "Runs of each, alternating; medians reported (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Override
        public Integer call() throws Exception {
            OptionRange.atLeast(spec, "--distinct-frames", distinctFrames, 0);
            OptionRange.atLeast(spec, "--rounds", rounds, 1);
            StreamBenchmark bench = new StreamBenchmark(scan.width(), scan.height(), distinctFrames);
            Path output = Files.createTempDirectory("stemstream-bench").resolve("streamed.h5");
            double[] bare = new double[rounds];
            double[] node = new double[rounds];
            double[] keepingNothing = new double[rounds];
            double[] latency = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                StreamBenchmark.Run b = bench.bare(FreePorts.nodeBase(), 16);
                System.out.println(StreamBenchmark.describe("bare JeroMQ", b));
                StreamBenchmark.Run n = bench.node(FreePorts.nodeBase(), output, null);
                System.out.println(StreamBenchmark.describe("node", n));
                StreamBenchmark.Run k = bench.node(FreePorts.nodeBase(), output, null, 0);
                System.out.println(StreamBenchmark.describe("node, producers keeping nothing", k));
                bare[i] = b.framesPerSecond();
                node[i] = n.framesPerSecond();
                keepingNothing[i] = k.framesPerSecond();
                latency[i] = n.latencySeconds();
            }
            java.util.Arrays.sort(bare);
            java.util.Arrays.sort(node);
            java.util.Arrays.sort(keepingNothing);
            java.util.Arrays.sort(latency);
            double ratio = node[rounds / 2] / bare[rounds / 2];
            System.out.printf(Locale.ROOT, "stream_bare_frames_per_s=%.0f stream_node_frames_per_s=%.0f ratio=%.2f"
                    + " latency_ms=%.0f retention_ratio=%.2f%n", bare[rounds / 2], node[rounds / 2], ratio,
                    latency[rounds / 2] * 1000, node[rounds / 2] / keepingNothing[rounds / 2]);
            Files.deleteIfExists(output);
            return 0;
        }
    }

    @Command(name = "science", mixinStandardHelpOptions = true,
            description = "Time to science: streaming vs the file-based workflow (write, copy, count), same frames.")
    static final class Science implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--scan", paramLabel = "WxH", defaultValue = "128x128", converter = ScanSize.Converter.class,
                description = "Probe positions of the synthetic scan, width x height (default: ${DEFAULT-VALUE}).")
        ScanSize scan;

        @Option(names = "--distinct-frames", paramLabel = "N", defaultValue = "256",
                description = "Distinct synthetic frames, rendered once and repeated (default: ${DEFAULT-VALUE}).")
        int distinctFrames;

        @Option(names = "--work-dir", paramLabel = "DIR",
                description = "Where the raw files go (default: a temporary directory).")
        Path workDir;

        @Override
        public Integer call() throws Exception {
            OptionRange.atLeast(spec, "--distinct-frames", distinctFrames, 0);
            Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("stemstream-tts");
            StreamBenchmark bench = new StreamBenchmark(scan.width(), scan.height(), distinctFrames);
            StreamBenchmark.Run streaming = bench.node(FreePorts.nodeBase(), dir.resolve("streamed.h5"), null);
            System.out.println(StreamBenchmark.describe("streaming", streaming));
            org.stemstream.tools.bench.TimeToScience.FileWorkflow files =
                    org.stemstream.tools.bench.TimeToScience.run(bench.feed(), dir, 2);
            System.out.println("file-based: " + files.describe());
            System.out.printf(Locale.ROOT, "time_to_science_streaming_s=%.2f time_to_science_files_s=%.2f"
                    + " speedup=%.1f%n", streaming.seconds(), files.total(), files.total() / streaming.seconds());
            deleteTree(dir);
            return 0;
        }
    }

    @Command(name = "memory", mixinStandardHelpOptions = true,
            description = "A node in its own JVM with a small heap (--heap), held to a counting rate, fed twice"
                    + " as fast.")
    static final class Memory implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--scan", paramLabel = "WxH", defaultValue = "256x256", converter = ScanSize.Converter.class,
                description = "Probe positions of the synthetic scan, width x height (default: ${DEFAULT-VALUE}).")
        ScanSize scan;

        @Option(names = "--node-fps", paramLabel = "FPS", defaultValue = "500",
                description = "The node's counting rate, on 2 threads; the detector sends twice as fast"
                        + " (default: ${DEFAULT-VALUE}).")
        int nodeFps;

        @Option(names = "--heap", paramLabel = "SIZE", defaultValue = "512m",
                description = "Maximum heap of the node's JVM, as -Xmx takes it (default: ${DEFAULT-VALUE}).")
        String heap;

        @Override
        public Integer call() throws Exception {
            OptionRange.between(spec, "--node-fps", nodeFps, 1, 2000); // a counting delay of 2000 / FPS whole ms
            int port = FreePorts.nodeBase();
            Path dir = Files.createTempDirectory("stemstream-memory");
            Path output = dir.resolve("scan.h5");
            List<String> command = org.stemstream.node.NodeProcess.child(List.of("-Xmx" + heap,
                            "-Dstemstream.testing.counting-delay=" + (2000 / nodeFps) + "ms",
                            "-Dstemstream.stream.counting-parallelism=2"),
                    List.of("--port", String.valueOf(port), "--scan-number", "1", "--scan", scan.toString(),
                            "--output", output.toString(), "--background-threshold", "29", "--xray-threshold", "400",
                            "--exit-after-scan"));
            Process node = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            StreamBenchmark bench = new StreamBenchmark(scan.width(), scan.height(), 256);
            Thread.sleep(3000); // the node's start-up
            System.out.printf(Locale.ROOT, "sending %d frames at %d frames/s to a node counting %d frames/s%n",
                    scan.width() * scan.height(), 2 * nodeFps, nodeFps);
            org.stemstream.emulator.DetectorEmulator.Result sent =
                    org.stemstream.emulator.DetectorEmulator.run(bench.feed(),
                            org.stemstream.emulator.DetectorEmulator.Settings.to("127.0.0.1", port)
                                    .atRate(2.0 * nodeFps), org.stemstream.emulator.FaultInjection.NONE);
            String report = new String(node.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int exit = node.waitFor();
            System.out.println(report.strip());
            System.out.printf(Locale.ROOT, "detector sent for %.1f s; node exit code %d%n", sent.seconds(), exit);
            deleteTree(dir);
            return exit;
        }
    }

    @Command(name = "cluster", mixinStandardHelpOptions = true,
            description = "1 node vs 3 (in this JVM): frames/s, identical events, bytes between nodes, join time.")
    static final class Cluster implements Callable<Integer> {
        @Option(names = "--scan", paramLabel = "WxH", defaultValue = "64x64", converter = ScanSize.Converter.class,
                description = "Probe positions of the synthetic scan, width x height (default: ${DEFAULT-VALUE}).")
        ScanSize scan;

        @Override
        public Integer call() throws Exception {
            Path dir = Files.createTempDirectory("stemstream-cluster-bench");
            org.stemstream.tools.bench.ClusterBenchmark bench =
                    new org.stemstream.tools.bench.ClusterBenchmark(scan.width(), scan.height());
            var one = bench.run(1, dir);
            System.out.println(org.stemstream.tools.bench.ClusterBenchmark.describe(1, one, bench.frames()));
            var three = bench.run(3, dir);
            System.out.println(org.stemstream.tools.bench.ClusterBenchmark.describe(3, three, bench.frames()));
            boolean identical = one.events().equals(three.events()) && one.events().size() == bench.frames();
            double join = bench.joinSeconds();
            System.out.printf(Locale.ROOT, "cluster_1_node_fps=%.0f cluster_3_nodes_fps=%.0f events_identical=%s"
                    + " bytes_between_nodes_per_frame=%.0f join_to_routed_s=%.2f%n", one.framesPerSecond(),
                    three.framesPerSecond(), identical, (double) three.bytesBetweenNodes() / bench.frames(), join);
            deleteTree(dir);
            return identical ? 0 : 1;
        }
    }

    @Command(name = "node", mixinStandardHelpOptions = true,
            description = "A node's CPU per frame in a JVM of its own (the marginal CPU between two scan sizes),"
                    + " beside the kernel's and a bare JeroMQ sink's CPU per frame on the same frames.")
    static final class Node implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--small", paramLabel = "WxH", defaultValue = "16x16", converter = ScanSize.Converter.class,
                description = "The smaller scan (default: ${DEFAULT-VALUE}).")
        ScanSize small;

        @Option(names = "--large", paramLabel = "WxH", defaultValue = "96x96", converter = ScanSize.Converter.class,
                description = "The larger scan (default: ${DEFAULT-VALUE}).")
        ScanSize large;

        @Option(names = "--distinct-frames", paramLabel = "N", defaultValue = "64",
                description = "Distinct synthetic frames, rendered once and repeated (default: ${DEFAULT-VALUE}).")
        int distinctFrames;

        @Option(names = "--counting-threads", paramLabel = "N", defaultValue = "0",
                description = "The node's counting parallelism; 0: the processors available (default:"
                        + " ${DEFAULT-VALUE}).")
        int countingThreads;

        @Option(names = "--warm-up-scans", paramLabel = "N", defaultValue = "2",
                description = "Large scans between the cold pair and the warm pair (default: ${DEFAULT-VALUE}).")
        int warmUpScans;

        @Option(names = "--node-cpus", paramLabel = "LIST",
                description = "Run the node and the bare sink on these CPUs only (taskset's list, e.g. 0-7); run the"
                        + " benchmark itself on others (taskset -c 8-15 bin/stemstream bench node ...).")
        String nodeCpus;

        @Option(names = "--protection", paramLabel = "MODE", split = ",", defaultValue = "plain",
                description = "How the blocks come, one run each: plain (security off), sealed (security on: each"
                        + " block authenticated), encrypted (sealed and encrypted) (default: ${DEFAULT-VALUE}).")
        List<String> protection;

        @Override
        public Integer call() throws Exception {
            List<NodeCpu.Protection> modes = new java.util.ArrayList<>();
            for (String mode : protection) {
                try {
                    modes.add(NodeCpu.Protection.valueOf(mode.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--protection: '" + mode
                            + "' is none of plain, sealed, encrypted");
                }
            }
            OptionRange.atLeast(spec, "--distinct-frames", distinctFrames, 1);
            OptionRange.atLeast(spec, "--counting-threads", countingThreads, 0);
            OptionRange.atLeast(spec, "--warm-up-scans", warmUpScans, 0);
            if (nodeCpus != null && !nodeCpus.matches("[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*")) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--node-cpus: '" + nodeCpus + "' is not a CPU list such as 0-7 or 0,2,4-6");
            }
            if ((long) large.width() * large.height() <= (long) small.width() * small.height()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--large must have more positions than --small");
            }
            Path dir = Files.createTempDirectory("stemstream-node-cpu");
            try {
                for (var mode : modes) {
                    var setup = new NodeCpu.NodeSetup(countingThreads, nodeCpus, mode);
                    print(mode, new NodeCpu(distinctFrames, setup, warmUpScans, dir).run(
                            new int[] {small.width(), small.height()}, new int[] {large.width(), large.height()}));
                }
            } finally {
                deleteTree(dir);
            }
            return 0;
        }

        private static void print(NodeCpu.Protection mode,
                                  NodeCpu.Result r) {
            System.out.println("protection=" + mode.name().toLowerCase(Locale.ROOT));
            System.out.printf(Locale.ROOT, "node_cold_cpu_us_per_frame=%.0f (its first two scans)%n",
                    r.coldNodeMicros());
            System.out.println("the node's warm CPU per frame by thread group:");
            r.nodeMicrosByGroup().forEach((group, micros) -> System.out.printf(Locale.ROOT, "  %6.0f us  %s%n",
                    micros, group.what()));
            System.out.printf(Locale.ROOT, "  %6.0f us  threads that ended between the readings%n",
                    r.nodeMicros() - r.nodeMicrosByGroup().values().stream().mapToDouble(Double::doubleValue).sum());
            System.out.printf(Locale.ROOT, "node_frames_per_s=%.0f bare_recv_frames_per_s=%.0f (the large scan)%n",
                    r.nodeFramesPerSecond(), r.bareFramesPerSecond());
            System.out.printf(Locale.ROOT, "node_cpu_us_per_frame=%.0f kernel_us_per_frame=%.0f"
                    + " bare_recv_cpu_us_per_frame=%.0f%n", r.nodeMicros(), r.kernelMicros(), r.bareReceiveMicros());
            System.out.printf(Locale.ROOT, "producer_cpu_us_per_frame=%.0f (the emulator's four producers)%n",
                    r.producerMicros());
        }
    }
}
