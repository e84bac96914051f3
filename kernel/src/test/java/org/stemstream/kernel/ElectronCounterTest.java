package org.stemstream.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ElectronCounterTest {
    private static ByteBuffer frame() {
        return ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void set(ByteBuffer frame, int row, int col, int value) {
        frame.putShort((row * FRAME_WIDTH + col) * 2, (short) value);
    }

    private static int[] count(CountingPlan plan, ByteBuffer frame) {
        int[] events = new int[ElectronCounter.MAX_EVENTS];
        int n = new ElectronCounter(plan).count(frame, events);
        return Arrays.copyOf(events, n);
    }

    /** stempy's algorithm written plainly: threshold the whole frame, then test every pixel's neighbours. */
    private static int[] reference(PixelCorrection correction, Thresholds t, ByteBuffer frame) {
        double[] v = new double[FRAME_PIXELS];
        for (int p = 0; p < FRAME_PIXELS; p++) {
            double value = correction.value(p, frame.getShort(p * 2) & 0xFFFF);
            v[p] = value <= t.background() || value >= t.xray() ? 0 : value;
        }
        int[] out = new int[FRAME_PIXELS];
        int n = 0;
        for (int r = 0; r < FRAME_HEIGHT; r++) {
            for (int c = 0; c < FRAME_WIDTH; c++) {
                double value = v[r * FRAME_WIDTH + c];
                boolean max = value != 0;
                for (int dr = -1; dr <= 1 && max; dr++) {
                    for (int dc = -1; dc <= 1 && max; dc++) {
                        int rr = r + dr;
                        int cc = c + dc;
                        if ((dr != 0 || dc != 0) && rr >= 0 && rr < FRAME_HEIGHT && cc >= 0 && cc < FRAME_WIDTH) {
                            max = value > v[rr * FRAME_WIDTH + cc];
                        }
                    }
                }
                if (max) {
                    out[n++] = r * FRAME_WIDTH + c;
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Noise around a level, peaks (some touching, some equal, some on edges), saturated pixels. */
    private static ByteBuffer randomFrame(long seed, int level) {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer frame = frame();
        for (int p = 0; p < FRAME_PIXELS; p++) {
            frame.putShort(p * 2, (short) Math.max(0, level + random.nextInt(-6, 7)));
        }
        for (int i = 0; i < 400; i++) {
            int r = random.nextInt(FRAME_HEIGHT);
            int c = random.nextInt(FRAME_WIDTH);
            int value = random.nextInt(5) == 0 ? 65535 : level + random.nextInt(5, 200);
            set(frame, r, c, value);
            if (random.nextBoolean() && c + 1 < FRAME_WIDTH) {
                set(frame, r, c + 1, random.nextBoolean() ? value : value - 3);
            }
        }
        return frame;
    }

    private static float[] randomDark(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] dark = new float[FRAME_PIXELS];
        for (int p = 0; p < FRAME_PIXELS; p++) {
            dark[p] = (float) (18 + random.nextDouble() * 6);
        }
        return dark;
    }

    @Test
    void aStrictMaximumIsAnEventAndEqualNeighboursAreNot() {
        ByteBuffer frame = frame();
        set(frame, 10, 10, 50);
        set(frame, 10, 11, 40);
        set(frame, 100, 100, 60);
        set(frame, 100, 101, 60);
        CountingPlan plan = CountingPlan.of(PixelCorrection.none(), new Thresholds(5, 1000));
        assertArrayEquals(new int[] {10 * FRAME_WIDTH + 10}, count(plan, frame));
    }

    @Test
    void cornersAndEdgesHaveFewerNeighbours() {
        ByteBuffer frame = frame();
        set(frame, 0, 0, 50);
        set(frame, 575, 575, 50);
        set(frame, 0, 300, 50);
        set(frame, 300, 575, 50);
        CountingPlan plan = CountingPlan.of(PixelCorrection.none(), new Thresholds(5, 1000));
        assertArrayEquals(new int[] {0, 300, 300 * FRAME_WIDTH + 575, FRAME_PIXELS - 1}, count(plan, frame));
    }

    @Test
    void valuesAtEitherThresholdAreZeroedAndDoNotShadowNeighbours() {
        ByteBuffer frame = frame();
        set(frame, 50, 50, 20);
        set(frame, 50, 51, 1000);
        set(frame, 51, 51, 30);
        set(frame, 200, 200, 21);
        CountingPlan plan = CountingPlan.of(PixelCorrection.none(), new Thresholds(20, 1000));
        // 20 is at the background, 1000 at the x-ray threshold: both zeroed, so 30 at (51, 51) is a maximum
        assertArrayEquals(new int[] {51 * FRAME_WIDTH + 51, 200 * FRAME_WIDTH + 200}, count(plan, frame));
    }

    @Test
    void theCandidateScanFindsExactlyWhatTheFullPassFindsOnEveryPath() {
        float[] dark = randomDark(3);
        float[] gain = new float[FRAME_PIXELS];
        SplittableRandom random = new SplittableRandom(9);
        for (int p = 0; p < FRAME_PIXELS; p++) {
            gain[p] = (float) (0.8 + 0.4 * random.nextDouble());
        }
        PixelCorrection[] corrections = {PixelCorrection.none(), PixelCorrection.of(dark, null),
                PixelCorrection.of(dark, gain), PixelCorrection.of(null, gain)};
        Thresholds[] thresholds = {new Thresholds(8.5, 150), new Thresholds(27, 65000), new Thresholds(0, 300)};
        for (PixelCorrection correction : corrections) {
            for (Thresholds t : thresholds) {
                CountingPlan plan = CountingPlan.of(correction, t);
                for (long seed = 1; seed <= 3; seed++) {
                    ByteBuffer frame = randomFrame(seed, 21);
                    int[] expected = reference(correction, t, frame);
                    assertTrue(expected.length > 10, "a frame worth testing");
                    assertArrayEquals(expected, count(plan, frame), correction.path() + " " + t + " seed " + seed);
                }
            }
        }
    }

    @Test
    void sectorStripsCountExactlyLikeTheAssembledFrameAndAMissingSectorLikeZeros() {
        float[] dark = randomDark(8);
        for (PixelCorrection correction : new PixelCorrection[] {PixelCorrection.none(),
                PixelCorrection.of(dark, null)}) {
            CountingPlan plan = CountingPlan.of(correction, new Thresholds(27, 65000));
            ByteBuffer frame = randomFrame(12, 21);
            byte[][] sectors = new byte[4][];
            for (int s = 0; s < 4; s++) {
                sectors[s] = Arrays.copyOfRange(frame.array(), s * 144 * 576 * 2, (s + 1) * 144 * 576 * 2);
            }
            int[] events = new int[ElectronCounter.MAX_EVENTS];
            int n = new ElectronCounter(plan).count(sectors, events);
            assertArrayEquals(count(plan, frame), Arrays.copyOf(events, n));

            sectors[2] = null;
            Arrays.fill(frame.array(), 2 * 144 * 576 * 2, 3 * 144 * 576 * 2, (byte) 0);
            n = new ElectronCounter(plan).count(sectors, events);
            assertArrayEquals(reference(correction, new Thresholds(27, 65000), frame), Arrays.copyOf(events, n));
        }
    }

    @Test
    void unsignedWrapAroundThatTheXrayCutKeepsFallsBackToTestingEveryPixel() {
        float[] dark = randomDark(4);
        // With an x-ray threshold above 65535 - dark, wrapped values (raw below dark) survive: no raw ceiling exists.
        Thresholds t = new Thresholds(8, 70000);
        CountingPlan plan = CountingPlan.of(PixelCorrection.of(dark, null), t);
        assertFalse(plan.scansCandidates());
        ByteBuffer frame = randomFrame(5, 21);
        assertArrayEquals(reference(PixelCorrection.of(dark, null), t, frame), count(plan, frame));
    }

    @Test
    void aNegativeBackgroundThresholdFallsBackToTestingEveryPixel() {
        Thresholds t = new Thresholds(-1, 500);
        CountingPlan plan = CountingPlan.of(PixelCorrection.none(), t);
        assertFalse(plan.scansCandidates());
        ByteBuffer frame = randomFrame(6, 21);
        assertArrayEquals(reference(PixelCorrection.none(), t, frame), count(plan, frame));
    }

    @Test
    void theUnsignedPathWrapsANegativeDifferenceAndTheFloatPathDoesNot() {
        float[] dark = new float[FRAME_PIXELS];
        Arrays.fill(dark, 20.7f);
        PixelCorrection unsigned = PixelCorrection.of(dark, null);
        assertEquals(5, unsigned.value(0, 25));
        assertEquals(65535, unsigned.value(0, 19));
        assertEquals(-1, unsigned.sampleValue(0, 19));
        float[] ones = new float[FRAME_PIXELS];
        Arrays.fill(ones, 1f);
        assertEquals((float) (19f - 20.7f), PixelCorrection.of(dark, ones).value(0, 19));
    }
}
