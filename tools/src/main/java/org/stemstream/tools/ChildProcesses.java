package org.stemstream.tools;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Child processes that end with this JVM. Closing stops them, and so does a shutdown hook when the JVM ends on a
 * signal (SIGTERM, SIGINT) before that: a child is never left running on its own.
 */
final class ChildProcesses implements AutoCloseable {
    /** How long the children together get to stop gracefully before they are killed. */
    private static final long GRACE_SECONDS = 60;

    private final List<Process> processes = new ArrayList<>();
    private final Thread hook = new Thread(this::stopAll, "stop-child-processes");
    private boolean stopping;

    ChildProcesses() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts a child, unless the children are being stopped (so none can start after the hook has looked). */
    synchronized Process start(ProcessBuilder builder) throws IOException {
        if (stopping) {
            throw new IllegalStateException("not starting a child process: this one is stopping");
        }
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /**
     * SIGTERM to every child, newest first (for nodes: a graceful leave); those still running after the grace get
     * SIGKILL. Returns once every child has ended.
     */
    void stopAll() {
        List<Process> children;
        synchronized (this) {
            stopping = true;
            children = new ArrayList<>(processes);
        }
        for (int i = children.size() - 1; i >= 0; i--) {
            children.get(i).destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GRACE_SECONDS);
        for (Process child : children) {
            try {
                if (!child.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    child.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                child.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) already: nothing to remove
        }
    }
}
