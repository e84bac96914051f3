package org.stemstream.node.ingest;

import java.io.IOException;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ElectronCounter;
import org.stemstream.node.ingest.SectorBuffers;
import org.stemstream.node.nodehost.ScanSession;

/**
 * The counting step: counts a frame in place from its sector buffers, records its events in the scan, and gives the
 * buffers back to the pool. Runs on the counting threads; each thread keeps its own counter and event buffer.
 */
public final class FrameCounting {
    private final SectorBuffers buffers;
    private final long delayMillis;
    private final ThreadLocal<Worker> workers = ThreadLocal.withInitial(Worker::new);

    private static final class Worker {
        final int[] events = new int[ElectronCounter.MAX_EVENTS];
        ElectronCounter counter;

        ElectronCounter counterFor(CountingPlan plan) {
            if (counter == null || counter.plan() != plan) {
                counter = new ElectronCounter(plan);
            }
            return counter;
        }
    }

    public FrameCounting(SectorBuffers buffers, java.time.Duration delay) {
        this.buffers = buffers;
        this.delayMillis = delay.toMillis();
    }

    public Assembled process(Assembled element) {
        if (!(element instanceof Assembled.Frame frame)) {
            return element;
        }
        ScanSession session = frame.session();
        try {
            CountingPlan plan = session.plan();
            if (plan == null || session.failure() != null || session.cancelled()) {
                return element;
            }
            if (delayMillis > 0) {
                Thread.sleep(delayMillis); // the testing.counting-delay hook
            }
            Worker worker = workers.get();
            int n = worker.counterFor(plan).count(frame.sectors(), worker.events);
            session.record(frame.frameNumber(), frame.position(), frame.complete(), worker.events, n);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.fail("counting interrupted");
        } catch (IOException | RuntimeException e) {
            session.fail("counting failed: " + e.getMessage());
        } finally {
            for (byte[] sector : frame.sectors()) {
                buffers.release(sector);
            }
        }
        return element;
    }
}
