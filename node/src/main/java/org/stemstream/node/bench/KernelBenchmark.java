package org.stemstream.node.bench;

import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ElectronCounter;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.ThresholdCalculator;
import org.stemstream.simulator.SyntheticDetector;

/**
 * Frames per second of the counting kernel on synthetic frames held in memory: a warm-up, then timed iterations of
 * all threads counting at once; the median iteration is the result.
 */
public final class KernelBenchmark {
    private final ByteBuffer[] frames;
    private final CountingPlan plan;

    public KernelBenchmark(int distinctFrames, long seed) {
        SyntheticDetector detector = SyntheticDetector.typical(seed);
        frames = new ByteBuffer[distinctFrames];
        for (int i = 0; i < distinctFrames; i++) {
            frames[i] = ByteBuffer.allocateDirect(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            detector.frame(i + 1, frames[i], SyntheticDetector.NO_TRUTH);
        }
        plan = CountingPlan.of(PixelCorrection.none(), ThresholdCalculator.compute(List.of(frames[0]),
                PixelCorrection.none(), 40, 4, 10).thresholds());
    }

    /** The median frames/s of {@code iterations} timed runs of {@code seconds} each, after one warm-up run. */
    public double framesPerSecond(int threads, int iterations, double seconds, java.util.function.DoubleConsumer each)
            throws InterruptedException {
        run(threads, seconds);
        double[] rates = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            rates[i] = run(threads, seconds);
            each.accept(rates[i]);
        }
        Arrays.sort(rates);
        return iterations % 2 == 1 ? rates[iterations / 2] : (rates[iterations / 2 - 1] + rates[iterations / 2]) / 2;
    }

    private double run(int threads, double seconds) throws InterruptedException {
        long[] counted = new long[threads];
        long[] sink = new long[threads];
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        List<Thread> workers = new ArrayList<>();
        long nanos = (long) (seconds * 1e9);
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread worker = new Thread(() -> {
                ElectronCounter counter = new ElectronCounter(plan);
                int[] events = new int[ElectronCounter.MAX_EVENTS];
                await(start);
                long end = System.nanoTime() + nanos;
                long n = 0;
                long events0 = 0;
                for (int f = id; System.nanoTime() < end; f++) {
                    events0 += counter.count(frames[f % frames.length], events);
                    n++;
                }
                counted[id] = n;
                sink[id] = events0;
            }, "kernel-bench-" + t);
            workers.add(worker);
            worker.start();
        }
        long begin = System.nanoTime();
        await(start);
        for (Thread w : workers) {
            w.join();
        }
        double elapsed = (System.nanoTime() - begin) / 1e9;
        return Arrays.stream(counted).sum() / elapsed;
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
