package org.stemstream.kernel;

import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;

/**
 * Everything the counting kernel precomputes once per scan from the correction and the thresholds.
 *
 * <p>The kernel's fast scan compares four raw pixels at a time (SWAR on a {@code long}) against per-pixel raw
 * ceilings: the largest raw value whose corrected value is still at or below the background threshold. Every pixel
 * that can survive thresholding lies above its ceiling, so only those few candidates are corrected exactly and tested
 * against their neighbours. Where no such ceiling exists (a negative background threshold, a negative or non-finite
 * gain, unsigned wrap-around that the x-ray cut does not remove), the plan says so and the kernel tests every pixel.
 */
public final class CountingPlan {
    static final long LOW15 = 0x7FFF_7FFF_7FFF_7FFFL;
    static final long HIGH = 0x8000_8000_8000_8000L;
    private static final int MAX_RAW = 0xFFFF;

    private final PixelCorrection correction;
    private final Thresholds thresholds;
    /** Per four pixels, lane by lane: {@code 0x7FFF - min(ceiling, 0x7FFF)}; null when every pixel must be tested. */
    private final long[] laneBias;
    private final boolean uniform;

    private CountingPlan(PixelCorrection correction, Thresholds thresholds, long[] laneBias) {
        this.correction = correction;
        this.thresholds = thresholds;
        this.laneBias = laneBias;
        this.uniform = laneBias != null && java.util.Arrays.stream(laneBias).allMatch(b -> b == laneBias[0]);
    }

    public static CountingPlan of(PixelCorrection correction, Thresholds thresholds) {
        long[] bias = new long[FRAME_PIXELS / 4];
        for (int p = 0; p < FRAME_PIXELS; p++) {
            int ceiling = rawCeiling(correction, thresholds, p);
            if (ceiling < 0) {
                bias = null;
                break;
            }
            bias[p >>> 2] |= (long) (0x7FFF - Math.min(ceiling, 0x7FFF)) << ((p & 3) * 16);
        }
        return new CountingPlan(correction, thresholds, bias);
    }

    public PixelCorrection correction() {
        return correction;
    }

    public Thresholds thresholds() {
        return thresholds;
    }

    /** True when the fast candidate scan applies; false when every pixel is tested. */
    public boolean scansCandidates() {
        return laneBias != null;
    }

    long[] laneBias() {
        return laneBias;
    }

    /** True when every lane of {@link #laneBias} is the same (no per-pixel dark). */
    boolean uniformBias() {
        return uniform;
    }

    /** The pixel's value after correction and thresholding (0 when zeroed), as stempy compares it. */
    double thresholded(int p, int raw) {
        double v = correction.value(p, raw);
        return thresholds.keeps(v) ? v : 0.0;
    }

    /**
     * The largest raw value of pixel p that is certainly zeroed for lying at or below the background, such that
     * every larger raw value may be kept; -1 when no such bound holds.
     */
    private static int rawCeiling(PixelCorrection c, Thresholds t, int p) {
        int lowest = 0;
        if (c.path() == PixelCorrection.Path.UINT16_DARK) {
            int dark = c.darkInt(p);
            // Raw values below the dark wrap to at least 65536 - dark: certainly zeroed only if the x-ray cut removes them.
            if (dark > 0 && !(MAX_RAW + 1 - dark >= t.xray() || MAX_RAW <= t.background())) {
                return -1;
            }
            lowest = dark;
        } else if (c.path() == PixelCorrection.Path.FLOAT && !isMonotone(c, p)) {
            return -1;
        }
        if (!(c.value(p, lowest) <= t.background())) {
            return -1;
        }
        // The corrected value does not decrease with the raw value from `lowest` on: bisect for the last raw value
        // at or below the background.
        int lo = lowest;
        int hi = MAX_RAW;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (c.value(p, mid) <= t.background()) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static boolean isMonotone(PixelCorrection c, int p) {
        double v0 = c.value(p, 0);
        double v1 = c.value(p, MAX_RAW);
        return Double.isFinite(v0) && Double.isFinite(v1) && v1 >= v0;
    }
}
