package org.stemstream.node.ingest;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a recurring problem at most once per interval per kind, saying how many were suppressed in between, so that
 * a flood of bad messages cannot flood the log.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        volatile long lastNanos = Long.MIN_VALUE;
        final AtomicLong suppressed = new AtomicLong();
    }

    public RateLimitedLog(Logger log, long intervalMillis) {
        this.log = log;
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    public void warn(String kind, String message) {
        Window w = windows.computeIfAbsent(kind, k -> new Window());
        long now = System.nanoTime();
        if (w.lastNanos != Long.MIN_VALUE && now - w.lastNanos < intervalNanos) {
            w.suppressed.incrementAndGet();
            return;
        }
        w.lastNanos = now;
        long skipped = w.suppressed.getAndSet(0);
        log.warn(skipped > 0 ? message + " (" + skipped + " more like it since the last report)" : message);
    }
}
