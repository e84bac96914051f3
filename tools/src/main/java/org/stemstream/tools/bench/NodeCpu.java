package org.stemstream.tools.bench;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.FrameFeed;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ElectronCounter;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.Thresholds;
import org.stemstream.node.FreePorts;
import org.stemstream.node.NodeProcess;
import org.stemstream.node.cli.ClusterClient;
import org.stemstream.node.cli.Main;
import org.stemstream.node.cli.Scans;
import org.stemstream.node.security.Credentials;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.protocol.security.ProducerKey;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * What a node's whole data path costs per frame, against its parts: a node in a JVM of its own counts two scan
 * sizes streamed by the emulator (this JVM), and its process CPU time per frame is the difference over the
 * difference in frames (start-up and idle cost drop out), in total and by thread group. In the same run, on the same
 * frames and thresholds: the counting kernel's CPU per frame on one thread, and a bare JeroMQ sink's process CPU per
 * frame (receiving only). Pinned to some CPUs ({@code taskset}), the node and the sink leave the others to the
 * emulator: the frames a second they take are then theirs, not the shared machine's.
 */
public final class NodeCpu {
    /** The scans' given thresholds, as an operator would set them for this detector. */
    private static final Thresholds THRESHOLDS = new Thresholds(30, 1000);

    /**
     * The figures, in microseconds of CPU per frame: the node's on its first two scans (cold: its JIT still compiling
     * the data path) and on the last two (warm, after more scans), by thread group on the warm pair, the kernel's, and
     * bare JeroMQ's; and the frames a second the node and the bare sink took the large scan at.
     */
    public record Result(double coldNodeMicros, double nodeMicros, Map<ThreadGroupCpu.Group, Double> nodeMicrosByGroup,
                         double kernelMicros, double bareReceiveMicros, double nodeFramesPerSecond,
                         double bareFramesPerSecond, double producerMicros) {
    }

    /** What protects the detector's blocks: nothing, a seal on each (security on), or a seal and encryption. */
    public enum Protection { PLAIN, SEALED, ENCRYPTED }

    /**
     * How the node runs: its counting parallelism (0: the processors available), its CPUs (null: any), and how the
     * blocks come.
     */
    public record NodeSetup(int countingThreads, String cpus, Protection protection) {
    }

    private final int distinctFrames;
    private final NodeSetup setup;
    private final int warmUpScans;
    private final Path dir;

    public NodeCpu(int distinctFrames, NodeSetup setup, int warmUpScans, Path dir) {
        this.distinctFrames = distinctFrames;
        this.setup = setup;
        this.warmUpScans = warmUpScans;
        this.dir = dir;
    }

    private SyntheticScan scan(long number, int width, int height) {
        return new SyntheticScan(number, width, height, 1, SyntheticDetector.typical(5), distinctFrames);
    }

    public Result run(int[] small, int[] large) throws Exception {
        List<SyntheticScan> scans = new ArrayList<>();
        scans.add(scan(1, small[0], small[1]));
        scans.add(scan(2, large[0], large[1]));
        for (int w = 0; w < warmUpScans; w++) {
            scans.add(scan(3 + w, large[0], large[1]));
        }
        scans.add(scan(3 + warmUpScans, small[0], small[1]));
        scans.add(scan(4 + warmUpScans, large[0], large[1]));
        double frames = scans.get(1).frames() - scans.get(0).frames();
        Streamed[] node = streamIntoNode(scans);
        Streamed warmSmall = node[node.length - 2];
        Streamed warmLarge = node[node.length - 1];
        Map<ThreadGroupCpu.Group, Double> byGroup = new LinkedHashMap<>();
        ThreadGroupCpu.minus(warmLarge.msByGroup(), warmSmall.msByGroup())
                .forEach((g, ms) -> byGroup.put(g, ms * 1e3 / frames));
        Streamed bareSmall = streamIntoBareSink(scans.get(0));
        Streamed bareLarge = streamIntoBareSink(scans.get(1));
        double kernel = kernelCpuMicrosPerFrame(scans.get(1));
        return new Result((node[1].cpuNanos() - node[0].cpuNanos()) / frames / 1e3,
                (warmLarge.cpuNanos() - warmSmall.cpuNanos()) / frames / 1e3, byGroup, kernel,
                (bareLarge.cpuNanos() - bareSmall.cpuNanos()) / frames / 1e3,
                scans.get(1).frames() / warmLarge.seconds(), scans.get(1).frames() / bareLarge.seconds(),
                (warmLarge.producerCpuNanos() - warmSmall.producerCpuNanos()) / frames / 1e3);
    }

    /**
     * What streaming one scan cost the receiving process: its CPU, by thread group, and the time it took; and the CPU
     * of this process, the producers'.
     */
    private record Streamed(long cpuNanos, Map<ThreadGroupCpu.Group, Double> msByGroup, double seconds,
                            long producerCpuNanos) {
    }

    /** Streams the scans one after the other into one node, each measured on its own. */
    private Streamed[] streamIntoNode(List<SyntheticScan> scans) throws Exception {
        int port = FreePorts.nodeBase();
        int clusterPort = FreePorts.any();
        List<String> command = new ArrayList<>();
        if (setup.cpus() != null) {
            command.addAll(List.of("taskset", "-c", setup.cpus()));
        }
        List<String> options = new ArrayList<>(List.of("--port", String.valueOf(port), "--cluster-port",
                String.valueOf(clusterPort)));
        Path keys = null;
        if (setup.protection() != Protection.PLAIN) {
            keys = dir.resolve("keys");
            if (!Files.isDirectory(keys) && Main.run("keys", "init", keys.toString()) != 0) {
                throw new IllegalStateException("keys init " + keys + " failed");
            }
            options.addAll(List.of("--security", keys.toString()));
        }
        command.addAll(NodeProcess.child(List.of("-Xmx2g", "-Dstemstream.management.enabled=false",
                        "-Dstemstream.stream.counting-parallelism=" + setup.countingThreads()), options));
        Process node = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            // up, and done compiling its kernel in the background: that CPU is no scan's
            new Lines(node).await(Duration.ofSeconds(60), "detector sockets", "counting kernel compiled");
            DetectorEmulator.Settings producers = DetectorEmulator.Settings.to("127.0.0.1", port);
            if (keys != null) {
                producers = producers.withSecurity(ProducerKey.read(keys.resolve(ProducerKey.FILE)),
                        setup.protection() == Protection.ENCRYPTED);
            }
            try (ClusterClient client = ClusterClient.connect("127.0.0.1:" + clusterPort, Duration.ofSeconds(10),
                    keys == null ? null : Credentials.at(keys))) {
                Streamed[] streamed = new Streamed[scans.size()];
                for (int i = 0; i < scans.size(); i++) {
                    long cpu = cpuNanos(node);
                    Map<ThreadGroupCpu.Group, Double> groups = ThreadGroupCpu.read(node.pid());
                    long ownCpu = cpuNanos(ProcessHandle.current());
                    long begun = System.nanoTime();
                    stream(client, producers, scans.get(i));
                    double seconds = (System.nanoTime() - begun) / 1e9;
                    streamed[i] = new Streamed(cpuNanos(node) - cpu,
                            ThreadGroupCpu.minus(ThreadGroupCpu.read(node.pid()), groups), seconds,
                            cpuNanos(ProcessHandle.current()) - ownCpu);
                    System.out.printf(Locale.ROOT, "node, scan %d: %.2f s of CPU for %d frames, %.0f frames/s%n",
                            i + 1, streamed[i].cpuNanos() / 1e9, scans.get(i).frames(),
                            scans.get(i).frames() / seconds);
                }
                return streamed;
            }
        } finally {
            node.destroy();
            node.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private void stream(ClusterClient client, DetectorEmulator.Settings producers, SyntheticScan scan)
            throws Exception {
        Path output = dir.resolve("node-cpu-" + scan.scanNumber() + ".h5");
        GatewayProtocol.ScanReply started = client.start(Scans.given(scan.scanNumber(), scan.scanWidth(),
                scan.scanHeight(), THRESHOLDS.background(), THRESHOLDS.xray(), output, 30));
        if (started instanceof GatewayProtocol.ScanRefused refused) {
            throw new IllegalStateException(refused.reason());
        }
        DetectorEmulator.run(feed(scan), producers, FaultInjection.NONE);
        ScanView view = client.status(scan.scanNumber());
        while (!view.state().isFinal()) {
            Thread.sleep(100);
            view = client.status(scan.scanNumber());
        }
        if (view.state() != ScanView.State.DONE || view.framesCounted() != scan.frames()) {
            throw new IllegalStateException("the benchmark scan did not count every frame: " + view.describe());
        }
        Files.deleteIfExists(output);
    }

    /** The process CPU of a bare JeroMQ sink (a JVM of its own) receiving the scan, start-up included. */
    private Streamed streamIntoBareSink(SyntheticScan scan) throws Exception {
        int port = FreePorts.nodeBase();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), BareSink.class.getName(),
                String.valueOf(port)));
        if (setup.cpus() != null) {
            command.addAll(0, List.of("taskset", "-c", setup.cpus()));
        }
        Process sink = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            Lines lines = new Lines(sink);
            lines.await(Duration.ofSeconds(30), "bound");
            long begun = System.nanoTime();
            DetectorEmulator.run(feed(scan), DetectorEmulator.Settings.directTo("127.0.0.1", port),
                    FaultInjection.NONE);
            String cpu = lines.await(Duration.ofSeconds(60), "cpu_ns=");
            double seconds = (System.nanoTime() - begun) / 1e9;
            return new Streamed(Long.parseLong(cpu.substring(cpu.indexOf("cpu_ns=") + "cpu_ns=".length()).strip()),
                    Map.of(), seconds, 0);
        } finally {
            sink.destroy();
            sink.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The kernel on the scan's own frames, as the node holds them (four sector arrays), on one thread. */
    private static double kernelCpuMicrosPerFrame(SyntheticScan scan) throws IOException {
        FrameFeed feed = new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH);
        int distinct = Math.min(scan.frames(), Math.max(1, scan.distinctFrames()));
        byte[][][] frames = new byte[distinct][SECTORS][];
        for (int s = 0; s < SECTORS; s++) {
            try (FrameFeed.SectorReader reader = feed.reader(s)) {
                for (int f = 0; f < distinct; f++) {
                    frames[f][s] = reader.payload(f);
                }
            }
        }
        ElectronCounter counter = new ElectronCounter(CountingPlan.of(PixelCorrection.none(), THRESHOLDS));
        int[] events = new int[ElectronCounter.MAX_EVENTS];
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        countFor(counter, frames, events, 2_000_000_000L); // warm-up: compiled as the node's would be
        long cpu = threads.getCurrentThreadCpuTime();
        long counted = countFor(counter, frames, events, 3_000_000_000L);
        return (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / counted;
    }

    private static long countFor(ElectronCounter counter, byte[][][] frames, int[] events, long nanos) {
        long end = System.nanoTime() + nanos;
        long counted = 0;
        while (System.nanoTime() < end) {
            for (byte[][] frame : frames) {
                counter.count(frame, events);
            }
            counted += frames.length;
        }
        return counted;
    }

    private FrameFeed feed(SyntheticScan scan) {
        return new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH);
    }

    /** The process's CPU time so far (all its threads). */
    private static long cpuNanos(Process process) {
        return cpuNanos(process.toHandle());
    }

    private static long cpuNanos(ProcessHandle process) {
        return process.info().totalCpuDuration().orElseThrow(() -> new IllegalStateException(
                "this system does not report a process's CPU time")).toNanos();
    }

    /** A process's output lines, read on a thread of their own so that its pipe never fills. */
    private static final class Lines {
        private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Lines(Process process) {
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "bench-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits until a line containing each of {@code texts} came, in any order; returns the last of them. */
        String await(Duration timeout, String... texts) throws InterruptedException {
            java.util.Set<String> missing = new java.util.HashSet<>(List.of(texts));
            long end = System.nanoTime() + timeout.toNanos();
            for (String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS); line != null;
                 line = lines.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                String seen = line;
                missing.removeIf(seen::contains);
                if (missing.isEmpty()) {
                    return line;
                }
            }
            throw new IllegalStateException("no line with " + missing + " within " + timeout.toSeconds() + " s");
        }
    }
}
