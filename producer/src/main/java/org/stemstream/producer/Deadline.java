package org.stemstream.producer;

/**
 * How long a producer may still wait for one thing (a block taken by a node, the routing table), in all: every try
 * and every routing fetch on its way draws on it. Unbounded when built from a negative time.
 */
final class Deadline {
    private final long millis;
    private final long endNanos;

    private Deadline(long millis) {
        this.millis = millis;
        this.endNanos = System.nanoTime() + Math.max(millis, 0) * 1_000_000;
    }

    /** A deadline {@code millis} from now; none (wait for ever) when {@code millis} is negative. */
    static Deadline after(long millis) {
        return new Deadline(millis);
    }

    boolean bounded() {
        return millis >= 0;
    }

    /** The time it was given, in ms (negative: unbounded). */
    long millis() {
        return millis;
    }

    boolean passed() {
        return bounded() && System.nanoTime() - endNanos >= 0;
    }

    /** What is left in ms, as a ZeroMQ timeout takes it: -1 for ever, 0 when passed. */
    int remainingMillis() {
        if (!bounded()) {
            return -1;
        }
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, (endNanos - System.nanoTime() + 999_999) / 1_000_000));
    }

    /** A timeout for one try: {@code tryMillis}, or less where the deadline comes first. */
    int slice(int tryMillis) {
        return bounded() ? Math.min(tryMillis, remainingMillis()) : tryMillis;
    }
}
