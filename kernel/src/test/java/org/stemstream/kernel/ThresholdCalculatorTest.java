package org.stemstream.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ThresholdCalculatorTest {
    /** Gaussian noise (sigma 2) on a per-pixel offset of ~20, the offset returned as the dark reference. */
    private static ByteBuffer noisyFrame(float[] offsetOut, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer frame = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int p = 0; p < FRAME_PIXELS; p++) {
            offsetOut[p] = 20 + (float) random.nextGaussian() * 1.5f;
            frame.putShort(p * 2, (short) Math.round(offsetOut[p] + 2 * random.nextGaussian()));
        }
        return frame;
    }

    @Test
    void aRealDarkReferenceGivesSaneThresholdsWhereStempyOverflows() {
        float[] dark = new float[FRAME_PIXELS];
        ByteBuffer frame = noisyFrame(dark, 1);
        ThresholdStatistics s = ThresholdCalculator.compute(List.of(frame), PixelCorrection.of(dark, null), 40, 4, 10);
        // Half the dark-subtracted values are negative: wrapped to uint16 they would give a std near 30,000.
        assertTrue(s.mean() > -1 && s.mean() < 1, "mean " + s.mean());
        assertTrue(s.stdDev() > 1.5 && s.stdDev() < 3, "std " + s.stdDev());
        assertEquals(0, s.fittedMean(), 0.6);
        assertEquals(8, s.thresholds().background(), 2.0);
        assertTrue(s.thresholds().xray() < 40, "x-ray " + s.thresholds().xray());
    }

    @Test
    void moreFramesWeighEachFrameLessButTheMeanIsTheirMean() {
        float[] dark = new float[FRAME_PIXELS];
        ByteBuffer a = noisyFrame(dark, 2);
        ByteBuffer b = noisyFrame(dark, 3);
        double meanA = ThresholdCalculator.compute(List.of(a), PixelCorrection.none(), 40, 4, 10).mean();
        double meanB = ThresholdCalculator.compute(List.of(b), PixelCorrection.none(), 40, 4, 10).mean();
        double both = ThresholdCalculator.compute(List.of(a, b), PixelCorrection.none(), 40, 4, 10).mean();
        assertEquals((meanA + meanB) / 2, both, 1e-12);
    }

    @Test
    void constantFramesAreRejectedWithAReason() {
        ByteBuffer flat = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        String message = assertThrows(IllegalArgumentException.class,
                () -> ThresholdCalculator.compute(List.of(flat), PixelCorrection.none(), 40, 4, 10)).getMessage();
        assertTrue(message.contains("spread"), message);
    }
}
