package org.stemstream.node.ingest;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A sector's accounting on this node, across scans: messages and bytes received, and every rejected message counted
 * by its reason. Read by status requests while the receiver thread and the stream write it.
 */
public final class SectorStats {
    private final int sector;
    private final LongAdder messages = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final ConcurrentHashMap<String, AtomicLong> rejected = new ConcurrentHashMap<>();
    private volatile long lastMessageNanos;
    private final AtomicInteger producers = new AtomicInteger();

    public SectorStats(int sector) {
        this.sector = sector;
    }

    public int sector() {
        return sector;
    }

    void received(long size) {
        messages.increment();
        bytes.add(size);
        lastMessageNanos = System.nanoTime();
    }

    void producerConnected() {
        producers.incrementAndGet();
    }

    void producerDisconnected() {
        producers.decrementAndGet();
    }

    /** Producers connected to the sector's socket now. */
    public int producersConnected() {
        return producers.get();
    }

    /** Milliseconds since the last message, or -1 before the first. */
    public long millisSinceLastMessage() {
        long last = lastMessageNanos;
        return last == 0 ? -1 : (System.nanoTime() - last) / 1_000_000;
    }

    /** Counts a rejected message under a short reason such as "malformed" or "unknown scan". */
    public void rejected(String reason) {
        rejected.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
    }

    public long messages() {
        return messages.sum();
    }

    public long bytes() {
        return bytes.sum();
    }

    public long rejectedFor(String reason) {
        AtomicLong n = rejected.get(reason);
        return n == null ? 0 : n.get();
    }

    /** Rejections by reason, sorted by reason. */
    public Map<String, Long> rejections() {
        Map<String, Long> out = new TreeMap<>();
        rejected.forEach((reason, n) -> out.put(reason, n.get()));
        return out;
    }
}
