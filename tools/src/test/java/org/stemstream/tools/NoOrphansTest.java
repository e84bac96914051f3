package org.stemstream.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.node.FreePorts;
import org.stemstream.node.NodeProcess;

/** The node processes a tool starts end with it: on SIGTERM the tool stops them, and killed it leaves them to go. */
class NoOrphansTest {
    @TempDir
    Path dir;

    private Process parent;
    private List<ProcessHandle> children = List.of();

    @AfterEach
    void killLeftovers() {
        if (parent != null) {
            parent.destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void sigtermToTheDemoStopsItsNodesBeforeItExits() throws Exception {
        Path out = dir.resolve("demo.out");
        List<String> command = javaCommand(StemstreamTools.class, "demo", "--nodes", "2", "--scan", "256x256",
                "--rate", "20", "--work-dir", dir.resolve("demo").toString());
        parent = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        awaitOutput(out, "streaming a 256x256 scan");
        children = parent.descendants().toList();
        assertEquals(2, children.size(), children.toString());

        parent.destroy(); // SIGTERM
        parent.waitFor();

        for (ProcessHandle node : children) {
            assertFalse(node.isAlive(), "node process " + node.pid() + " outlived the demo");
        }
    }

    @Test
    void aNodeStartedWithExitWithParentStopsWhenItsParentIsKilled() throws Exception {
        Path log = dir.resolve("node.log");
        parent = new ProcessBuilder(javaCommand(NodeParent.class, log.toString())).inheritIO().start();
        awaitOutput(log, "stemstream node ");
        children = parent.descendants().toList();
        assertEquals(1, children.size(), children.toString());

        parent.destroyForcibly(); // SIGKILL: the parent runs nothing on its way out
        parent.waitFor();

        await(() -> children.stream().noneMatch(ProcessHandle::isAlive), "the node process gone");
        assertTrue(contains(log, "the process that started this node (" + parent.pid() + ") has ended"),
                Files.readString(log));
    }

    /** A parent that starts a node with --exit-with (its own id), its output to the file given, and waits for it. */
    static final class NodeParent {
        public static void main(String[] args) throws Exception {
            List<String> command = NodeProcess.child(List.of("-Xmx256m", "-Dstemstream.management.enabled=false"),
                    List.of("--port", String.valueOf(FreePorts.nodeBase()), "--cluster-port",
                            String.valueOf(FreePorts.any())));
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(Path.of(args[0]).toFile()).start()
                    .waitFor();
        }
    }

    private static List<String> javaCommand(Class<?> main, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx512m",
                "-Dstemstream.management.enabled=false", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static boolean contains(Path file, String text) {
        try {
            return Files.exists(file) && Files.readString(file).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until the parent process (or its child) has written {@code text}; fails if the parent ends first. */
    private void awaitOutput(Path file, String text) throws Exception {
        await(() -> contains(file, text) || !parent.isAlive(), "'" + text + "'");
        if (!contains(file, text)) {
            throw new AssertionError("the process ended before it wrote '" + text + "':\n" + Files.readString(file));
        }
    }

    /** Waits until the condition holds, however long that takes up to a bound only a hung process reaches. */
    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never saw " + what);
            }
            Thread.sleep(100);
        }
    }
}
