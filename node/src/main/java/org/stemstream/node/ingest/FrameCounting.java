package org.stemstream.node.ingest;

import java.util.Arrays;
import org.apache.pekko.actor.typed.ActorRef;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ElectronCounter;
import org.stemstream.node.metrics.NodeMetrics;

/**
 * The counting step: counts a frame in place from its sector buffers with the plan the gate gave it, and gives the
 * buffers back to the pool. Runs on the counting threads; each thread keeps its own counter and event buffer, so
 * the only allocation per frame is the copy of its few events.
 */
public final class FrameCounting {
    private final SectorBuffers buffers;
    private final ActorRef<IngestReport> reports;
    private final NodeMetrics metrics;
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

    /** @param delay a test hook: extra time spent on each frame */
    public FrameCounting(SectorBuffers buffers, ActorRef<IngestReport> reports, NodeMetrics metrics,
                         java.time.Duration delay) {
        this.buffers = buffers;
        this.reports = reports;
        this.metrics = metrics;
        this.delayMillis = delay.toMillis();
    }

    public Assembled process(Assembled element) {
        if (!(element instanceof Assembled.Frame frame)) {
            return element;
        }
        int[] events = null;
        try {
            if (frame.plan() != null) {
                if (delayMillis > 0) {
                    Thread.sleep(delayMillis); // the testing.counting-delay hook
                }
                Worker worker = workers.get();
                long start = System.nanoTime();
                int n = worker.counterFor(frame.plan()).count(frame.sectors(), worker.events);
                metrics.frameCounted(frame.complete(), n, System.nanoTime() - start);
                events = Arrays.copyOf(worker.events, n);
            } else {
                metrics.frameNotCounted();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reports.tell(new IngestReport.Failed(frame.scan().scanNumber(), "counting interrupted"));
        } catch (RuntimeException e) {
            reports.tell(new IngestReport.Failed(frame.scan().scanNumber(), "counting failed: " + e.getMessage()));
        } finally {
            for (byte[] sector : frame.sectors()) {
                buffers.release(sector);
            }
        }
        return new Assembled.Counted(frame.scan(), frame.frameNumber(), frame.position(), frame.complete(), events);
    }
}
