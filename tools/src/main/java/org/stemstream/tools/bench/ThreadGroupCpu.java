package org.stemstream.tools.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM's CPU time by what its threads do, read from its thread dump ({@code jcmd PID Thread.print}, which gives
 * each thread's name and CPU time): where a node's CPU per frame goes. A thread that ended between two readings
 * takes its time out of its group; the process total still holds it.
 */
public final class ThreadGroupCpu {
    /** The groups, in the order they are printed; a thread belongs to the first whose name pattern it matches. */
    public enum Group {
        RECEIVE("ZeroMQ receive (I/O threads, sector readers, routing)",
                "iothread-.*|ingress-sector-.*|routing-socket"),
        COUNTING("counting (the kernel and its stage)", ".*counting-dispatcher.*"),
        ACTORS("actors and streams (assembly, workers, writer, cluster)", "stemstream-.*"),
        JIT("JIT compilers", "C[12] CompilerThread.*"),
        GC("garbage collection and the VM thread", "GC Thread.*|G1 .*|VM Thread"),
        OTHER("other threads", ".*");

        private final String what;
        private final Pattern names;

        Group(String what, String names) {
            this.what = what;
            this.names = Pattern.compile(names);
        }

        public String what() {
            return what;
        }

        static Group of(String threadName) {
            for (Group g : values()) {
                if (g.names.matcher(threadName).matches()) {
                    return g;
                }
            }
            return OTHER;
        }
    }

    private static final Pattern THREAD = Pattern.compile("^\"([^\"]*)\".*\\scpu=([0-9.]+)ms");

    private ThreadGroupCpu() {
    }

    /** Milliseconds of CPU each group's live threads have used so far, in the JVM with this process id. */
    public static Map<Group, Double> read(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process dump = new ProcessBuilder(List.of(jcmd.toString(), String.valueOf(pid), "Thread.print"))
                .redirectErrorStream(true).start();
        Map<Group, Double> ms = new LinkedHashMap<>();
        for (Group g : Group.values()) {
            ms.put(g, 0.0);
        }
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(dump.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                Matcher m = THREAD.matcher(line);
                if (m.find()) {
                    ms.merge(Group.of(m.group(1)), Double.parseDouble(m.group(2)), Double::sum);
                }
            }
        }
        if (!dump.waitFor(30, TimeUnit.SECONDS) || dump.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " Thread.print failed");
        }
        return ms;
    }

    /** {@code after - before}, group by group. */
    public static Map<Group, Double> minus(Map<Group, Double> after, Map<Group, Double> before) {
        Map<Group, Double> d = new LinkedHashMap<>();
        after.forEach((g, ms) -> d.put(g, ms - before.getOrDefault(g, 0.0)));
        return d;
    }
}
