package org.stemstream.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that runs {@code stemstream node} in a JVM of its own, with this JVM's Java and class path: for
 * the multi-process demo, the memory benchmark and the process tests.
 */
public final class NodeProcess {
    private NodeProcess() {
    }

    /**
     * @param jvmOptions options for the JVM (heap, {@code -D} settings)
     * @param nodeArgs   the arguments after {@code stemstream node}
     */
    public static List<String> command(List<String> jvmOptions, List<String> nodeArgs) {
        return command(jvmOptions, nodeArgs, false);
    }

    /** As {@link #command}, for a node that stops when this JVM ends, however it ends ({@code --exit-with}). */
    public static List<String> child(List<String> jvmOptions, List<String> nodeArgs) {
        return command(jvmOptions, nodeArgs, true);
    }

    private static List<String> command(List<String> jvmOptions, List<String> nodeArgs, boolean child) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Agrona (primitive collections, queues) reads jdk.internal.misc.Unsafe, as bin/stemstream allows
        command.addAll(List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.stemstream.node.cli.Main", "node"));
        command.addAll(nodeArgs);
        if (child) {
            command.addAll(List.of("--exit-with", String.valueOf(ProcessHandle.current().pid())));
        }
        return command;
    }
}
