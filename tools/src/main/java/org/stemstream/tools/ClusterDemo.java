package org.stemstream.tools;

import org.stemstream.node.cli.ScanProgress;
import org.stemstream.node.cli.ClusterClient;
import org.stemstream.node.cli.ScanSize;
import org.stemstream.node.cli.MembersCommand;
import org.stemstream.node.cli.Scans;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.stemstream.node.FreePorts;
import org.stemstream.node.NodeProcess;
import org.stemstream.node.counting.ScanImages;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.protocol.cluster.GatewayProtocol;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * {@code stemstream demo --nodes N}: a cluster of N node processes on this machine (the first a seed), a scan started
 * through the actor CLI's client, the emulated detector streaming to whichever node owns each frame, membership and
 * progress shown as they go. The nodes stop (gracefully) at the end, or when the demo is stopped by a signal; killed,
 * it leaves them to notice on their own ({@code --exit-with}, this process's id).
 */
final class ClusterDemo {
    private final ScanSize scan;
    private final Path workDir;
    private final double rate;
    private final SyntheticScan synthetic;
    private final int pagePort;
    private final int count;
    private final ChildProcesses children = new ChildProcesses();
    private final List<Process> nodes = new ArrayList<>();
    private final List<Integer> ingress = new ArrayList<>();
    private final List<Integer> clusterPorts = new ArrayList<>();

    ClusterDemo(ScanSize scan, Path workDir, double rate, SyntheticScan synthetic, int count) throws IOException {
        this.pagePort = FreePorts.any();
        this.scan = scan;
        this.workDir = workDir;
        this.rate = rate;
        this.synthetic = synthetic;
        this.count = count;
    }

    int run() throws Exception {
        Files.createDirectories(workDir);
        Path output = workDir.resolve("scan1_counted.h5").toAbsolutePath();
        Files.deleteIfExists(output);
        try {
            for (int i = 0; i < count; i++) {
                startNode(i);
            }
            System.out.println("started " + count + " node processes (logs in " + workDir + "/node-*.log);"
                    + " waiting for them to join ...");
            System.out.println("live page: http://127.0.0.1:" + pagePort + "/");
            try (ClusterClient client = connect()) {
                GatewayProtocol.Members members = awaitMembers(client);
                System.out.print(MembersCommand.table(members));
                GatewayProtocol.ScanReply started = client.start(Scans.computed(1, scan.width(), scan.height(),
                        output, 30));
                if (started instanceof GatewayProtocol.ScanRefused refused) {
                    throw new IllegalStateException(refused.reason());
                }
                System.out.printf(Locale.ROOT, "streaming a %s scan (%d frames, %.1f GB raw) to the cluster%n", scan,
                        synthetic.frames(), synthetic.frames() * 4.0 * 165_904 / 1e9);
                CompletableFuture<DetectorEmulator.Result> sending = CompletableFuture.supplyAsync(() -> {
                    try {
                        return DetectorEmulator.run(new SyntheticFeed(synthetic, SyntheticDetector.NO_TRUTH),
                                DetectorEmulator.Settings.to("127.0.0.1", ingress.get(0)).atRate(rate),
                                FaultInjection.NONE);
                    } catch (Exception e) {
                        throw new IllegalStateException("the detector emulator failed: " + e.getMessage(), e);
                    }
                });
                ScanView view = ScanProgress.follow(() -> client.status(1));
                long doneNanos = System.nanoTime();
                DetectorEmulator.Result sent = sending.join();
                System.out.println(view.describe());
                System.out.printf(Locale.ROOT, "rate: %.0f frames/s from the first frame sent to the file complete%n",
                        view.framesCounted() / ((doneNanos - sent.startNanos()) / 1e9));
                System.out.printf(Locale.ROOT, "file complete %.0f ms after the last frame was sent%n",
                        (doneNanos - sent.lastSentNanos()) / 1e6);
                System.out.print(MembersCommand.table(client.members()));
                System.out.println("output: " + output);
                System.out.println("pictures: " + ScanImages.scanPicture(output) + " "
                        + ScanImages.patternPicture(output));
                return view.state() == ScanView.State.DONE ? 0 : 1;
            }
        } finally {
            children.close();
        }
    }

    private ClusterClient connect() throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                return ClusterClient.connect("127.0.0.1:" + clusterPorts.get(0), Duration.ofSeconds(2));
            } catch (IllegalArgumentException notYet) {
                if (System.nanoTime() > deadline || !nodes.get(0).isAlive()) {
                    throw new IllegalStateException("the seed node did not come up; see " + workDir
                            + "/node-0.log", notYet);
                }
                Thread.sleep(500);
            }
        }
    }

    private GatewayProtocol.Members awaitMembers(ClusterClient client) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            GatewayProtocol.Members members = client.members();
            long ready = members.members().stream().filter(m -> m.status().equals("Up") && m.partitions() > 0)
                    .count();
            if (ready == count) {
                return members;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + ready + " of " + count + " nodes joined; see the logs in "
                        + workDir);
            }
            Thread.sleep(500);
        }
    }

    private void startNode(int i) throws IOException {
        int port = FreePorts.nodeBase();
        int cluster = FreePorts.any();
        List<String> args = new ArrayList<>(List.of("--port", String.valueOf(port),
                "--cluster-port", String.valueOf(cluster)));
        args.addAll(i == 0 ? List.of("--seed") : List.of("--join", "127.0.0.1:" + clusterPorts.get(0)));
        // the seed serves the live page; the others serve it too, but one address is enough to print
        args.addAll(List.of("--management-port", String.valueOf(i == 0 ? pagePort : FreePorts.any())));
        List<String> command = NodeProcess.child(List.of("-Xmx1g"), args);
        nodes.add(children.start(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(workDir.resolve("node-" + i + ".log").toFile())));
        ingress.add(port);
        clusterPorts.add(cluster);
    }
}
