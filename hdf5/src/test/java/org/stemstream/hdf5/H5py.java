package org.stemstream.hdf5;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a Python snippet with h5py, the reader our users load files with, and returns what it prints. */
public final class H5py {
    private static String python;

    private H5py() {
    }

    /** Runs {@code script} with {@code sys.argv[1:]} = args; fails the test with Python's error on a non-zero exit. */
    public static String run(String script, Object... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python(), "-c", script));
        for (Object a : args) {
            command.add(a instanceof Path p ? p.toAbsolutePath().toString() : String.valueOf(a));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError("h5py script failed:\n" + out);
        }
        return out.strip();
    }

    private static synchronized String python() throws IOException, InterruptedException {
        if (python != null) {
            return python;
        }
        List<String> candidates = new ArrayList<>();
        String configured = System.getProperty("stemstream.python");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        }
        candidates.addAll(List.of("/usr/bin/python3", "python3"));
        for (String candidate : candidates) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import h5py, numpy").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    python = candidate;
                    return python;
                }
            } catch (IOException notThere) {
                // try the next one
            }
        }
        throw new AssertionError("no Python with h5py among " + candidates
                + ": run scripts/install-test-deps (it installs Debian's python3-h5py)");
    }
}
