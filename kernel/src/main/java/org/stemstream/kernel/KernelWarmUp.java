package org.stemstream.kernel;

import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;
import static org.stemstream.protocol.FrameGeometry.SECTORS;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Compiles the counting kernel before the first scan. The JVM runs a new method interpreted, then as C1 code with
 * profiling (where the kernel's byte-array views are calls rather than loads: several times slower), and compiles
 * it fully only after thousands of frames, since the kernel is entered once per frame. Counting made-up frames of
 * the same kind when a node starts moves that cost out of its first scan.
 */
public final class KernelWarmUp {
    private static final AtomicBoolean DONE = new AtomicBoolean();

    private KernelWarmUp() {
    }

    /** Counts {@code frames} made-up frames on each correction path, once per JVM; false when it had already run. */
    public static boolean run(int frames) {
        if (!DONE.compareAndSet(false, true)) {
            return false;
        }
        SplittableRandom random = new SplittableRandom(576);
        byte[][][] samples = {frame(random), frame(random)};
        float[] dark = new float[FRAME_PIXELS];
        java.util.Arrays.fill(dark, 20f);
        ElectronCounter[] counters = {
            new ElectronCounter(CountingPlan.of(PixelCorrection.none(), new Thresholds(30, 1000))),
            new ElectronCounter(CountingPlan.of(PixelCorrection.of(dark, null), new Thresholds(10, 1000)))};
        int[] events = new int[ElectronCounter.MAX_EVENTS];
        long found = 0;
        for (int i = 0; i < frames; i++) {
            for (ElectronCounter counter : counters) {
                found += counter.count(samples[i & 1], events);
            }
        }
        return found > 0; // always: the frames hold electrons (and the JIT cannot drop the work)
    }

    /** Read noise around a dark level of 20 and about 40 electrons spread over their neighbours, as four sectors. */
    private static byte[][] frame(SplittableRandom random) {
        int[] values = new int[FRAME_PIXELS];
        for (int p = 0; p < FRAME_PIXELS; p++) {
            values[p] = 20 + (int) Math.round(2.5 * random.nextGaussian());
        }
        for (int e = 0; e < 40; e++) {
            int row = 1 + random.nextInt(FRAME_WIDTH - 2);
            int col = 1 + random.nextInt(FRAME_WIDTH - 2);
            for (int dr = -1; dr <= 1; dr++) {
                for (int dc = -1; dc <= 1; dc++) {
                    values[(row + dr) * FRAME_WIDTH + col + dc] += dr == 0 && dc == 0 ? 60 : 15;
                }
            }
        }
        byte[][] sectors = new byte[SECTORS][SECTOR_BYTES];
        for (int p = 0; p < FRAME_PIXELS; p++) {
            byte[] sector = sectors[p / (SECTOR_BYTES / 2)];
            int at = (p % (SECTOR_BYTES / 2)) * 2;
            sector[at] = (byte) values[p];
            sector[at + 1] = (byte) (values[p] >> 8);
        }
        return sectors;
    }
}
