package org.stemstream.node.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends this JVM when the process that started it ends, however that one ended (one killed by SIGKILL cleans up
 * nothing): for a node started as a child of a demo or a benchmark, which must not outlive it.
 */
final class ParentWatch {
    private static final Logger LOG = LoggerFactory.getLogger(ParentWatch.class);

    private ParentWatch() {
    }

    /**
     * Starts watching the parent this process has now; without one (it is gone already) the node stops at once. The
     * exit runs on a thread of its own, as it waits for the graceful stop and the JDK's watching thread should not.
     */
    static void start() {
        // a parent that died already leaves this process to init (pid 1): stop at once then too
        ProcessHandle.current().parent().filter(parent -> parent.pid() != 1).ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> new Thread(() -> stop(parent.pid()), "parent-watch").start()),
                () -> stop(-1));
    }

    /** Exits as SIGTERM does: the JVM's shutdown hooks run the node's graceful stop. */
    private static void stop(long parent) {
        LOG.warn("the parent process{} has ended: stopping this node", parent < 0 ? "" : " " + parent);
        System.exit(0);
    }
}
