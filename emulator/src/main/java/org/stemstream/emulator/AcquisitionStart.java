package org.stemstream.emulator;

import java.util.concurrent.Phaser;

/**
 * The moment a run's acquisition starts: once every producer has its first routing table, as a detector starts
 * once its receivers are ready. The producers pace their frames from it together, so a slow first answer from the
 * cluster delays the scan instead of making the producers rush to catch up.
 */
final class AcquisitionStart {
    private final Phaser ready;
    private volatile long nanos;

    AcquisitionStart(int producers) {
        this.ready = new Phaser(producers) {
            @Override
            protected boolean onAdvance(int phase, int registeredParties) {
                nanos = System.nanoTime();
                return true; // one start per run
            }
        };
    }

    /** Waits until every producer is ready (or has withdrawn), and returns the start. */
    long await() {
        ready.arriveAndAwaitAdvance();
        return nanos;
    }

    /** A producer that failed before it was ready no longer holds the others back. */
    void withdraw() {
        ready.arriveAndDeregister();
    }

    /** The start, or 0 before it. */
    long nanos() {
        return nanos;
    }
}
