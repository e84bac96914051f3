package org.stemstream.benchmarks;

import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ElectronCounter;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.ThresholdCalculator;
import org.stemstream.simulator.SyntheticDetector;

/**
 * Frames per second of the counting kernel on synthetic 576 x 576 frames with ~40 electrons. The frames (64 of them,
 * 42 MB) do not fit in the caches, as frames arriving from a detector would not.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class CountingKernelBenchmark {

    /** The frames and the counting plan, shared by all threads. */
    @State(Scope.Benchmark)
    public static class Frames {
        @Param({"none", "dark"})
        public String correction;

        /** frame: one buffer per frame; sectors: the four sector arrays as received from the detector. */
        @Param({"frame", "sectors"})
        public String layout;

        ByteBuffer[] frames;
        byte[][][] sectors;
        CountingPlan plan;

        @Setup(Level.Trial)
        public void make() {
            SyntheticDetector detector = SyntheticDetector.typical(7);
            frames = new ByteBuffer[64];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                detector.frame(i + 1, frames[i], SyntheticDetector.NO_TRUTH);
            }
            sectors = new byte[frames.length][4][];
            for (int i = 0; i < frames.length; i++) {
                for (int s = 0; s < 4; s++) {
                    sectors[i][s] = java.util.Arrays.copyOfRange(frames[i].array(), s * SECTOR_BYTES,
                            (s + 1) * SECTOR_BYTES);
                }
            }
            PixelCorrection c = correction.equals("dark")
                    ? PixelCorrection.of(detector.darkReference(), null) : PixelCorrection.none();
            plan = CountingPlan.of(c, ThresholdCalculator.compute(List.of(frames[0]), c, 40, 4, 10).thresholds());
        }
    }

    /** Each thread's counter, event buffer and place in the frame cycle. */
    @State(Scope.Thread)
    public static class Worker {
        ElectronCounter counter;
        int[] events;
        int next;

        @Setup(Level.Trial)
        public void make(Frames shared) {
            counter = new ElectronCounter(shared.plan);
            events = new int[ElectronCounter.MAX_EVENTS];
            next = (int) (Thread.currentThread().getId() % shared.frames.length);
        }
    }

    @Benchmark
    public int countFrame(Frames shared, Worker worker) {
        int f = worker.next;
        worker.next = f + 1 == shared.frames.length ? 0 : f + 1;
        return shared.layout.equals("sectors")
                ? worker.counter.count(shared.sectors[f], worker.events)
                : worker.counter.count(shared.frames[f], worker.events);
    }
}
