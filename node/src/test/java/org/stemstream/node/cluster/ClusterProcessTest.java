package org.stemstream.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.FrameFeed;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.hdf5.H5py;
import org.stemstream.node.CliRun;
import org.stemstream.node.Fixtures;
import org.stemstream.node.FreePorts;
import org.stemstream.node.NodeProcess;
import org.stemstream.node.TestNodes;
import org.stemstream.producer.SenderSettings;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * Three node JVMs on loopback, the emulated detector, and the actor CLI: the way the system runs. A scan through the
 * cluster matches offline counting, and so does one in which a node is killed ({@code kill -9}) mid-scan: the
 * producers send what the dead node held again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterProcessTest {
    private static final int W = 40;
    private static final int H = 30;

    @TempDir
    Path dir;

    private final List<Process> nodes = new ArrayList<>();
    private final List<Integer> ingress = new ArrayList<>();
    private final List<Integer> clusterPorts = new ArrayList<>();
    /** Each node's address (its sockets and cluster port). */
    private final List<String> hosts = new ArrayList<>();
    private int managementPort;
    private List<String> offline;
    private List<String> offlineCalibrated;
    /** The number of the scan the helpers start, send and check (1 unless a test runs another). */
    private long scanNumber;
    /** The nodes' least margin between the frames seen and a new table's switch frame (the default is 500). */
    private int switchMarginFrames;
    private Path logs;

    private static SyntheticScan scan() {
        return scan(1);
    }

    private static SyntheticScan scan(long number) {
        return new SyntheticScan(number, W, H, 1, SyntheticDetector.typical(8), 32);
    }

    @BeforeAll
    void countOffline(@TempDir Path raw, @TempDir Path calibrated) throws Exception {
        offline = Fixtures.offlineEvents(scan(), raw, "--background-threshold=29", "--xray-threshold=400");
        offlineCalibrated = Fixtures.offlineEvents(scan(2), calibrated); // thresholds from the first frame
    }

    @AfterEach
    void stopNodes() throws InterruptedException {
        for (Process p : nodes) {
            p.destroyForcibly(); // what each test asks of the nodes is done: no need to wait for graceful leaves
        }
        for (Process p : nodes) {
            p.waitFor(60, TimeUnit.SECONDS);
        }
        nodes.clear();
        ingress.clear();
        clusterPorts.clear();
        hosts.clear();
    }

    @org.junit.jupiter.api.BeforeEach
    void logsFor(org.junit.jupiter.api.TestInfo test) throws IOException {
        scanNumber = 1;
        switchMarginFrames = 100; // the tables of joins and leaves apply within the scan's 8 s
        logs = Path.of("target", "node-logs", test.getTestMethod().orElseThrow().getName());
        java.nio.file.Files.createDirectories(logs);
    }

    /** Node i's log, kept under target/ for a look after the run. */
    private Path log(int i) {
        return logs.resolve("node" + i + ".log");
    }

    /** Starts node i as its own JVM: the first is the seed, the others join it. */
    private void startNode(int i) throws IOException {
        startNode(i, "127.0.0.1", null, FreePorts.any(), List.of());
    }

    /** The same, on the given address and cluster port, inside the namespace when there is one, with more options. */
    private void startNode(int i, String host, NetworkNamespace namespace, int cluster, List<String> options)
            throws IOException {
        int port = FreePorts.nodeBase();
        List<String> args = new ArrayList<>(List.of("--host", host, "--port", String.valueOf(port),
                "--cluster-port", String.valueOf(cluster)));
        args.addAll(options);
        if (i == 0) {
            managementPort = FreePorts.any();
            args.addAll(List.of("--seed", "--management-port", String.valueOf(managementPort)));
        } else {
            args.addAll(List.of("--join", contact(0)));
        }
        // A lost node's frames come again from four producers, each replaying on its own: on two busy cores their
        // blocks of one frame have arrived seconds apart, longer than the default timeout that counts a frame as
        // incomplete. These tests check that every frame comes back whole, so they give it time to.
        List<String> command = NodeProcess.command(List.of("-Xmx512m", "-Dstemstream.stream.frame-timeout=10s",
                "-Dstemstream.cluster.switch-margin-frames=" + switchMarginFrames,
                "-Dstemstream.management.enabled=" + (i == 0)), args);
        nodes.add(new ProcessBuilder(namespace == null ? command : namespace.inside(command))
                .redirectErrorStream(true).redirectOutput(log(i).toFile()).start());
        ingress.add(port);
        clusterPorts.add(cluster);
        hosts.add(host);
    }

    /** Runs a CLI command in this JVM; returns its exit code and what it printed. */
    private static String[] cli(String... args) {
        CliRun run = CliRun.of(args);
        return new String[] {String.valueOf(run.exitCode()), run.out()};
    }

    private String contact(int i) {
        return hosts.get(i) + ":" + clusterPorts.get(i);
    }

    /** Waits until the CLI sees every node Up, reachable, with its share of partitions and its detector sockets. */
    private void awaitMembers(int count) throws InterruptedException {
        java.util.regex.Pattern ready = java.util.regex.Pattern.compile(
                "Up\\s+yes\\s+\\d+\\s+[1-9]\\d*\\s+[\\d.]+:\\d+\\s+[1-9]\\d*\\s"); // partitions, sockets, threads
        long deadline = System.nanoTime() + 60_000_000_000L;
        String last = "";
        while (System.nanoTime() < deadline) {
            String[] members = cli("members", "--contact", contact(0));
            last = members[1];
            if (members[0].equals("0") && last.lines().filter(l -> ready.matcher(l).find()).count() == count) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the cluster did not reach " + count + " members:\n" + last + nodeLogs());
    }

    /** The end of every node's log, to say why a node is missing. */
    private String nodeLogs() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            try {
                List<String> lines = java.nio.file.Files.readAllLines(log(i));
                b.append("\n--- node ").append(i).append(nodes.get(i).isAlive() ? " (running)" : " (exited)")
                        .append(":\n").append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30),
                                lines.size())));
            } catch (IOException e) {
                b.append("\n--- node ").append(i).append(": no log (").append(e.getMessage()).append(')');
            }
        }
        return b.toString();
    }

    /** Members Up as Pekko Management's HTTP endpoint on the seed says (it starts a moment after the node). */
    private int managementMembersUp() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                + "/cluster/members")).build();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            try {
                String body = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).body();
                return body.split("\"status\":\"Up\"", -1).length - 1;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(500);
            }
        }
    }

    /** The partitions whose counting workers Pekko Management's {@code /cluster/shards} lists on the seed. */
    private java.util.Set<Integer> managementShards() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                + "/cluster/shards/counting-worker")).build();
        String body = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).body();
        java.util.Set<Integer> shards = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"shardId\"\\s*:\\s*\"(\\d+)\"").matcher(body);
        while (m.find()) {
            shards.add(Integer.parseInt(m.group(1)));
        }
        return shards;
    }

    /** The partitions {@code stemstream partitions} places on node {@code i}. */
    private java.util.Set<Integer> partitionsOn(int i) {
        String[] partitions = cli("partitions", "--contact", contact(0));
        assertEquals("0", partitions[0], partitions[1]);
        return partitionsIn(partitions[1], i);
    }

    /** The partitions that a listing of {@code stemstream partitions} places on node {@code i}. */
    private java.util.Set<Integer> partitionsIn(String listing, int i) {
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        listing.lines().map(String::trim).filter(l -> l.matches("\\d+ .*"))
                .filter(l -> l.split("\\s+")[1].endsWith("@" + contact(i)))
                .forEach(l -> out.add(Integer.parseInt(l.split("\\s+")[0])));
        return out;
    }

    /**
     * Whether node {@code contact} answers, within a second, with a routing table that gives node {@code dead} no
     * partition (while no coordinator runs, nothing answers).
     */
    private boolean partitionsMovedOff(int dead, int contact) {
        String[] partitions = cli("partitions", "--contact", contact(contact), "--ask-timeout", "1");
        return partitions[0].equals("0") && partitionsIn(partitions[1], dead).isEmpty();
    }

    /** Waits until exactly {@code count} members own partitions (a dead one has lost its share). */
    private void awaitMembersWithPartitions(int count) throws InterruptedException {
        java.util.regex.Pattern owning = java.util.regex.Pattern.compile("\\s[1-9]\\d*\\s+[\\d.]+:\\d+");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            String[] members = cli("members", "--contact", contact(0));
            if (members[0].equals("0") && members[1].lines().filter(l -> owning.matcher(l).find()).count() == count) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("partitions did not move off the dead node");
    }

    /** Waits until the CLI no longer lists node {@code i} among the members. */
    private void awaitRemoved(int i) throws Exception {
        String address = contact(i);
        assertTrue(TestNodes.eventually(Duration.ofSeconds(60), () -> {
            String[] members = cli("members", "--contact", contact(0));
            return members[0].equals("0") && !members[1].contains(address);
        }), "node " + i + " was not removed from the cluster" + nodeLogs());
    }

    private CompletableFuture<DetectorEmulator.Result> send(int contactNode, double rate) {
        return send(contactNode, rate, new SyntheticFeed(scan(), SyntheticDetector.NO_TRUTH));
    }

    private CompletableFuture<DetectorEmulator.Result> send(int contactNode, double rate, FrameFeed feed) {
        return send(contactNode, rate, feed, SenderSettings.DEFAULT_RETENTION_BYTES);
    }

    private CompletableFuture<DetectorEmulator.Result> send(int contactNode, double rate, FrameFeed feed,
                                                            long retentionBytes) {
        int port = ingress.get(contactNode);
        String host = hosts.get(contactNode);
        return CompletableFuture.supplyAsync(() -> {
            try {
                return DetectorEmulator.run(feed, DetectorEmulator.Settings.to(host, port).atRate(rate)
                        .withRetention(retentionBytes), FaultInjection.NONE);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private String[] startScan(Path output) {
        return startScan(output, 1);
    }

    private String[] startScan(Path output, int contact) {
        return cli("scan", "start", "--scan-number", String.valueOf(scanNumber), "--scan", W + "x" + H,
                "-o", output.toString(), "--background-threshold", "29", "--xray-threshold", "400", "--timeout", "20",
                "--contact", contact(contact));
    }

    @Test
    void scansThroughThreeNodeProcessesMatchOfflineCountingOneWhoseCoordinatorDiedWhileCalibratingToo()
            throws Exception {
        for (int i = 0; i < 3; i++) {
            startNode(i);
        }
        awaitMembers(3);
        assertEquals(3, managementMembersUp(), "members Up in Pekko Management's /cluster/members");

        Path output = dir.resolve("cluster.h5");
        String[] started = startScan(output);
        assertEquals("0", started[0], started[1]);
        send(2, 0).join();
        String[] done = cli("scan", "status", "1", "--follow", "--contact", contact(0));
        assertEquals("0", done[0], done[1]);
        assertTrue(done[1].contains("scan 1 done: 1200/1200 frames counted (0 incomplete, 0 missing)"), done[1]);
        assertEquals(offline, Fixtures.countedEvents(output));
        String[] list = cli("scan", "list", "--contact", contact(2));
        assertTrue(list[1].contains("scan 1 done"), list[1]);
        // the seed runs the counting workers of exactly the partitions the routing table sends it
        java.util.Set<Integer> routedToSeed = partitionsOn(0);
        assertFalse(routedToSeed.isEmpty());
        TestNodes.eventually(Duration.ofSeconds(15), () -> managementShards().equals(routedToSeed));
        assertEquals(routedToSeed, managementShards(), "Pekko Management's /cluster/shards/counting-worker");

        // scan 2 computes its thresholds; the coordinator's node dies before they are decided
        Path calibrated = dir.resolve("calibrated.h5");
        String[] second = cli("scan", "start", "--scan-number", "2", "--scan", W + "x" + H, "-o",
                calibrated.toString(), "--timeout", "20", "--contact", contact(1));
        assertEquals("0", second[0], second[1]);
        assertTrue(cli("scan", "status", "2", "--contact", contact(1))[1].contains("calibrating"));
        nodes.get(0).destroyForcibly(); // kill -9
        // the coordinator that takes over routes the dead node's partitions elsewhere (were the detector sending
        // before, the first frames would come again behind later ones; docs/cluster.md says what then)
        assertTrue(TestNodes.eventually(Duration.ofSeconds(60), () -> partitionsMovedOff(0, 1)),
                "the dead node's partitions did not move" + nodeLogs());
        send(1, 150, new SyntheticFeed(scan(2), SyntheticDetector.NO_TRUTH)).join();
        String[] calibratedDone = cli("scan", "status", "2", "--follow", "--contact", contact(1));
        assertTrue(calibratedDone[1].contains("scan 2 done: 1200/1200 frames counted (0 incomplete, 0 missing)"),
                calibratedDone[1] + nodeLogs());
        assertTrue(calibratedDone[1].contains("coordinator moved"), calibratedDone[1]);
        assertFalse(calibratedDone[1].contains("thresholds from frame"), calibratedDone[1]);
        assertEquals(offlineCalibrated, Fixtures.countedEvents(calibrated),
                "the thresholds of the scan's first frame, as offline counting computes them");
    }

    @Test
    void killingAJoiningNodeMidScanLosesNoFrame() throws Exception {
        Path output = dir.resolve("killed.h5");
        // each producer keeps at most 64 blocks: the dead node's frames fill that long before the cluster moves them
        long retention = 64L * (BlockHeader.BYTES + FrameGeometry.SECTOR_BYTES);
        CompletableFuture<DetectorEmulator.Result> sending = streamingThroughThreeNodes(output, 150, retention);
        nodes.get(2).destroyForcibly(); // kill -9
        long killed = System.nanoTime();
        awaitMembersWithPartitions(2);
        double moved = (System.nanoTime() - killed) / 1e9;
        DetectorEmulator.Result sent = sending.join();
        String[] done = cli("scan", "status", "1", "--follow", "--contact", contact(0));
        assertTrue(done[1].contains("scan 1 done: 1200/1200 frames counted (0 incomplete, 0 missing)"),
                done[1] + nodeLogs());
        String summary = H5py.run("""
                import sys, h5py
                m = h5py.File(sys.argv[1], 'r')['metadata/electron_counting'].attrs
                print(m['frames_counted'], m['frames_missing'], m['frames_incomplete'], m['frames_duplicate'])
                """, output);
        assertTrue(summary.startsWith(W * H + " 0 0 "), summary);
        // every frame's events are those of offline counting: what the dead node held was sent again
        assertEquals(offline, Fixtures.countedEvents(output));
        assertTrue(sent.replayed() > 0, "the producers sent the dead node's frames again");
        assertTrue(sent.retentionWaits() > 0, "the producers waited while their retention was full");
        assertTrue(sent.peakRetainedBytes() <= retention, sent.peakRetainedBytes() + " bytes kept, over " + retention);
        assertEquals(0, sent.unacknowledged(), "every frame kept by the producers was stored");
        System.out.printf("kill -9: partitions moved after %.1f s; the detector sent for %.1f s (%.1f s at its"
                + " rate); %d blocks sent again, %d held back, longest send %.2f s, %s duplicate frames, %d retention"
                + " waits; %s%n", moved, sent.seconds(), W * H / 150.0, sent.replayed(), sent.heldBack(),
                sent.longestSendSeconds(), summary.split(" ")[3].trim(), sent.retentionWaits(),
                done[1].lines().filter(l -> l.contains("node")).findFirst().orElse(""));
    }

    @Test
    void aStoppedNodeLosesNoFrameAndStoresNoneTwiceWhetherItWakesBeforeItsRemovalOrAfter() throws Exception {
        // stopped for a moment (a long pause of its JVM): routed around while unreachable, then back in the table
        Path paused = dir.resolve("paused.h5");
        CompletableFuture<DetectorEmulator.Result> sending = streamingThroughThreeNodes(paused, 150);
        signal("STOP", nodes.get(2));
        awaitMembersWithPartitions(2); // the cluster routed around the stalled node
        signal("CONT", nodes.get(2));
        DetectorEmulator.Result sent = sending.join();
        assertEveryFrameCountedOnce(paused, sent); // each frame's slot holds it once
        awaitMembers(3); // it counts again
        System.out.printf("SIGSTOP, then SIGCONT once routed around: %d blocks sent again%n", sent.replayed());

        // stopped longer than failure detection: removed, and it finds itself removed when it wakes
        scanNumber = 2;
        Path stopped = dir.resolve("stopped.h5");
        sending = streaming(stopped, 150, SenderSettings.DEFAULT_RETENTION_BYTES);
        signal("STOP", nodes.get(2));
        awaitMembersWithPartitions(2);
        // Resumed only once removed: resumed while one survivor still saw it unreachable and the other no longer
        // did, the split brain resolver could not tell which side failed and would down both of them.
        awaitRemoved(2);
        signal("CONT", nodes.get(2));
        sent = sending.join();
        assertEveryFrameCountedOnce(stopped, sent);
        System.out.printf("SIGSTOP, then SIGCONT once removed: %d blocks sent again%n", sent.replayed());
    }

    private static void signal(String name, Process node) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(node.pid())).inheritIO().start()
                .waitFor(), "kill -" + name);
    }

    /**
     * A joining node cut off the network mid-scan (its own network namespace, the link taken down): unlike a kill,
     * nothing tells its connections, as when a cable or a switch port goes. Needs root.
     */
    @Test
    void aJoiningNodeCutOffTheNetworkMidScanLosesNoFrame() throws Exception {
        assumeTrue(NetworkNamespace.available(), "cutting a node off the network needs root and ip netns");
        try (NetworkNamespace namespace = NetworkNamespace.create()) {
            Path output = dir.resolve("cut.h5");
            CompletableFuture<DetectorEmulator.Result> sending = streamingThroughThreeNodes(output, 150,
                    SenderSettings.DEFAULT_RETENTION_BYTES, namespace);
            namespace.cut();
            DetectorEmulator.Result sent = sending.join();
            assertEveryFrameCountedOnce(output, sent);
            assertTrue(sent.replayed() > 0, "the producers sent the cut-off node's frames again");
            System.out.printf("network cut: the detector sent for %.1f s (%.1f s at its rate); %d blocks sent"
                    + " again, %d held back, longest send %.2f s%n", sent.seconds(), W * H / 150.0, sent.replayed(),
                    sent.heldBack(), sent.longestSendSeconds());
            stopNodes(); // before the namespace goes
        }
    }

    /**
     * With the default switch margin (500 frames) at 50 frames/s, the table's switch frame comes 10 s after the
     * leave, long after the node's 3 s leave drain has ended its input; with this class's 100 frames at 150 frames/s,
     * within the drain.
     */
    @ParameterizedTest(name = "{0} frames/s, switch margin {1} frames")
    @CsvSource({"50, 500", "150, 100"})
    void aJoiningNodeThatLeavesMidScanLosesNoFrame(int rate, int switchMargin) throws Exception {
        switchMarginFrames = switchMargin;
        Path output = dir.resolve("left.h5");
        CompletableFuture<DetectorEmulator.Result> sending = streamingThroughThreeNodes(output, rate);
        nodes.get(2).destroy(); // SIGTERM: a graceful leave
        DetectorEmulator.Result sent = sending.join();
        assertEveryFrameCountedOnce(output, sent);
        System.out.printf("SIGTERM at %d frames/s: %d blocks sent again%n", rate, sent.replayed());
    }

    @Test
    void killingTheCoordinatorsNodeMidScanLosesNoFrame() throws Exception {
        Path output = dir.resolve("coordinator-killed.h5");
        CompletableFuture<DetectorEmulator.Result> sending = streamingThroughThreeNodes(output, 150);
        nodes.get(0).destroyForcibly(); // kill -9 of the seed, where the coordinator and the scan's writer run
        long killed = System.nanoTime();
        assertTrue(TestNodes.eventually(Duration.ofSeconds(60), () -> partitionsMovedOff(0, 1)),
                "the dead node's partitions did not move" + nodeLogs());
        double moved = (System.nanoTime() - killed) / 1e9;
        DetectorEmulator.Result sent = sending.join();
        // the coordinator that took over wrote the file: what the dead writer had stored came from its replica,
        // what it had not, the producers sent again
        assertEveryFrameCountedOnce(output, sent, 1);
        String coordinatorMoved = H5py.run("""
                import sys, h5py
                print(h5py.File(sys.argv[1], 'r')['metadata/electron_counting'].attrs['coordinator_moved'])
                """, output);
        assertTrue(coordinatorMoved.contains("the scan's coordinator moved to")
                && coordinatorMoved.contains("stored batches came back"), coordinatorMoved);
        String[] status = cli("scan", "status", "1", "--contact", contact(2));
        assertTrue(status[1].contains("coordinator moved"), status[1]);
        try (var left = java.nio.file.Files.list(dir)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().endsWith(".partial")).toList(),
                    "no temporary file is left beside the output");
        }
        System.out.printf("kill -9 of the coordinator's node: partitions moved after %.1f s; the detector sent for"
                + " %.1f s (%.1f s at its rate); %d blocks sent again, %d held back, longest send %.2f s; %s%n", moved,
                sent.seconds(), W * H / 150.0, sent.replayed(), sent.heldBack(), sent.longestSendSeconds(),
                coordinatorMoved.strip());
    }

    /** At the rates and margins of {@link #aJoiningNodeThatLeavesMidScanLosesNoFrame}. */
    @ParameterizedTest(name = "{0} frames/s, switch margin {1} frames")
    @CsvSource({"50, 500", "150, 100"})
    void theCoordinatorsNodeLeavingMidScanLosesNoFrame(int rate, int switchMargin) throws Exception {
        switchMarginFrames = switchMargin;
        Path output = dir.resolve("coordinator-left.h5");
        CompletableFuture<DetectorEmulator.Result> sending = streamingThroughThreeNodes(output, rate);
        nodes.get(0).destroy(); // SIGTERM: the seed leaves gracefully, and the coordinator moves to the next oldest
        DetectorEmulator.Result sent = sending.join();
        assertEveryFrameCountedOnce(output, sent, 1);
        String[] status = cli("scan", "status", "1", "--contact", contact(2));
        assertTrue(status[1].contains("coordinator moved"), status[1]);
        System.out.printf("SIGTERM of the coordinator's node at %d frames/s: %d blocks sent again%n", rate,
                sent.replayed());
    }

    /**
     * Two nodes sharing a lease file: when either dies (the seed, where the coordinator runs, or the other), the
     * survivor holds the lease and goes on. Without the lease the split brain resolver would keep the side of the
     * lowest address in a 1 | 1 split, so the seed gets the lower port: were it the one to die, the survivor would
     * down itself.
     */
    @ParameterizedTest(name = "node {0} dies")
    @ValueSource(ints = {0, 1})
    void aTwoNodeClusterWithALeaseFileSurvivesTheDeathOfEitherNode(int dies) throws Exception {
        List<String> lease = List.of("--lease-file", dir.resolve("cluster.lease").toString());
        int[] ports = {FreePorts.any(), FreePorts.any()};
        java.util.Arrays.sort(ports);
        startNode(0, "127.0.0.1", null, ports[0], lease);
        startNode(1, "127.0.0.1", null, ports[1], lease);
        awaitMembers(2);
        int survivor = 1 - dies;
        Path output = dir.resolve("two-nodes.h5");
        CompletableFuture<DetectorEmulator.Result> sending = streaming(output, 150,
                SenderSettings.DEFAULT_RETENTION_BYTES, survivor);
        nodes.get(dies).destroyForcibly(); // kill -9
        DetectorEmulator.Result sent = sending.join();
        assertEveryFrameCountedOnce(output, sent, survivor);
        assertTrue(nodes.get(survivor).isAlive(), "the node that held the lease lives on");
        System.out.printf("two nodes, kill -9 of node %d: the detector sent for %.1f s (%.1f s at its rate);"
                + " %d blocks sent again%n", dies, sent.seconds(), W * H / 150.0, sent.replayed());
    }

    /**
     * Three nodes, a scan started, and the detector sending at {@code rate} frames/s through node 1: returns once 300
     * frames have been sent (the scan streams through all three nodes), with what the detector will have sent.
     */
    private CompletableFuture<DetectorEmulator.Result> streamingThroughThreeNodes(Path output, double rate)
            throws Exception {
        return streamingThroughThreeNodes(output, rate, SenderSettings.DEFAULT_RETENTION_BYTES);
    }

    /** The same, each producer keeping at most {@code retentionBytes} of blocks until their frames are stored. */
    private CompletableFuture<DetectorEmulator.Result> streamingThroughThreeNodes(Path output, double rate,
                                                                                  long retentionBytes)
            throws Exception {
        return streamingThroughThreeNodes(output, rate, retentionBytes, null);
    }

    /** The same, with node 2 inside {@code namespace} when there is one (the others on its host side). */
    private CompletableFuture<DetectorEmulator.Result> streamingThroughThreeNodes(Path output, double rate,
                                                                                  long retentionBytes,
                                                                                  NetworkNamespace namespace)
            throws Exception {
        for (int i = 0; i < 3; i++) {
            if (namespace == null) {
                startNode(i);
            } else if (i < 2) {
                startNode(i, namespace.hostAddress(), null, FreePorts.any(), List.of());
            } else {
                startNode(i, namespace.innerAddress(), namespace, FreePorts.any(), List.of());
            }
        }
        awaitMembers(3);
        return streaming(output, rate, retentionBytes);
    }

    /** A scan started on the running nodes and the detector sending through node 1, past frame 300. */
    private CompletableFuture<DetectorEmulator.Result> streaming(Path output, double rate, long retentionBytes)
            throws Exception {
        return streaming(output, rate, retentionBytes, 1);
    }

    /** The same, the scan started and the detector sending through node {@code contact}. */
    private CompletableFuture<DetectorEmulator.Result> streaming(Path output, double rate, long retentionBytes,
                                                                 int contact) throws Exception {
        assertEquals("0", startScan(output, contact)[0]);
        CountedFeed feed = new CountedFeed(scanNumber);
        CompletableFuture<DetectorEmulator.Result> sending = send(contact, rate, feed, retentionBytes);
        assertTrue(TestNodes.eventually(Duration.ofSeconds(30), () -> feed.taken.get() >= 300),
                "the detector did not get to frame 300");
        return sending;
    }

    /** The scan is done with every frame, each counted as offline counting counts it, and nothing kept unstored. */
    private void assertEveryFrameCountedOnce(Path output, DetectorEmulator.Result sent) throws Exception {
        assertEveryFrameCountedOnce(output, sent, 0);
    }

    /** The same, asking node {@code contact}. */
    private void assertEveryFrameCountedOnce(Path output, DetectorEmulator.Result sent, int contact) throws Exception {
        String[] done = cli("scan", "status", String.valueOf(scanNumber), "--follow", "--contact", contact(contact));
        assertTrue(done[1].contains("scan " + scanNumber + " done: 1200/1200 frames counted (0 incomplete, 0 missing)"),
                done[1] + nodeLogs());
        assertEquals(offline, Fixtures.countedEvents(output)); // the synthetic pixels are the same in every scan
        assertEquals(0, sent.unacknowledged(), "every frame kept by the producers was stored");
    }

    /** A feed that counts the blocks sector 0's producer has taken from it: how far the detector is. */
    private static final class CountedFeed implements FrameFeed {
        final FrameFeed feed;
        final java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();

        CountedFeed(long scanNumber) {
            feed = new SyntheticFeed(scan(scanNumber), SyntheticDetector.NO_TRUTH);
        }

        @Override
        public long scanNumber() {
            return feed.scanNumber();
        }

        @Override
        public int frames() {
            return feed.frames();
        }

        @Override
        public SectorReader reader(int sector) throws IOException {
            SectorReader reader = feed.reader(sector);
            return new SectorReader() {
                @Override
                public org.stemstream.protocol.BlockHeader header(int index) {
                    return reader.header(index);
                }

                @Override
                public byte[] payload(int index) throws IOException {
                    if (sector == 0) {
                        taken.incrementAndGet();
                    }
                    return reader.payload(index);
                }
            };
        }
    }
}
