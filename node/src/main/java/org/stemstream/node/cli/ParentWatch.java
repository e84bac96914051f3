package org.stemstream.node.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends this JVM when the process that started it ends, however that one ended (one killed by SIGKILL cleans up
 * nothing): for a node started as a child of a demo or a benchmark, which must not outlive it. The starter passes
 * its own process id: once a parent is gone, this process's parent is some other process (init, a subreaper).
 */
final class ParentWatch {
    private static final Logger LOG = LoggerFactory.getLogger(ParentWatch.class);

    private ParentWatch() {
    }

    /**
     * Starts watching process {@code pid}; when it is gone already, the node stops at once. The exit runs on a thread
     * of its own, as it waits for the graceful stop and the JDK's watching thread should not.
     */
    static void start(long pid) {
        ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresentOrElse(
                starter -> starter.onExit().thenRun(() -> new Thread(() -> stop(pid), "parent-watch").start()),
                () -> stop(pid));
    }

    /** Exits as SIGTERM does: the JVM's shutdown hooks run the node's graceful stop. */
    private static void stop(long pid) {
        LOG.warn("the process that started this node ({}) has ended: stopping this node", pid);
        System.exit(0);
    }
}
