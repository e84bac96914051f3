package org.stemstream.kernel;

import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;

/**
 * Dark and gain correction of raw pixel values, with stempy's two paths.
 *
 * <ul>
 *   <li>no gain: {@code (uint16)(raw - (uint16)dark)}, the dark truncated first and a negative difference wrapping;</li>
 *   <li>gain given: {@code (raw - dark) * gain} in 32-bit float.</li>
 * </ul>
 */
public final class PixelCorrection {
    /** How a raw value becomes the value that is thresholded. */
    public enum Path { RAW, UINT16_DARK, FLOAT }

    private final Path path;
    private final int[] darkInt;
    private final float[] dark;
    private final float[] gain;

    private PixelCorrection(Path path, float[] dark, float[] gain) {
        this.path = path;
        this.dark = dark;
        this.gain = gain;
        this.darkInt = path == Path.UINT16_DARK ? truncate(dark) : null;
    }

    /** No dark, no gain: the raw values themselves. */
    public static PixelCorrection none() {
        return new PixelCorrection(Path.RAW, null, null);
    }

    /**
     * The correction stempy applies for a dark reference and a gain, either of which may be null.
     */
    public static PixelCorrection of(float[] dark, float[] gain) {
        checkLength("dark reference", dark);
        checkLength("gain", gain);
        if (gain != null) {
            return new PixelCorrection(Path.FLOAT, dark == null ? new float[FRAME_PIXELS] : dark, gain);
        }
        return dark == null ? none() : new PixelCorrection(Path.UINT16_DARK, dark, null);
    }

    public Path path() {
        return path;
    }

    public boolean hasDark() {
        return dark != null;
    }

    public boolean hasGain() {
        return gain != null;
    }

    /** The corrected value of pixel {@code p} for a raw value, exactly as stempy computes it, widened to double. */
    public double value(int p, int raw) {
        return switch (path) {
            case RAW -> raw;
            case UINT16_DARK -> (raw - darkInt[p]) & 0xFFFF;
            case FLOAT -> ((float) raw - dark[p]) * gain[p];
        };
    }

    /**
     * The corrected value for threshold statistics: like {@link #value} but without the unsigned wrap, so that a real
     * dark reference gives the signed difference (stempy wraps here and its statistics explode).
     */
    public double sampleValue(int p, int raw) {
        return path == Path.UINT16_DARK ? raw - darkInt[p] : value(p, raw);
    }

    /** The dark as stempy's unsigned 16-bit path uses it: truncated, or 0 without a dark. */
    int darkInt(int p) {
        return darkInt == null ? 0 : darkInt[p];
    }

    private static int[] truncate(float[] dark) {
        int[] out = new int[dark.length];
        for (int p = 0; p < dark.length; p++) {
            out[p] = ((int) dark[p]) & 0xFFFF;
        }
        return out;
    }

    private static void checkLength(String what, float[] values) {
        if (values != null && values.length != FRAME_PIXELS) {
            throw new IllegalArgumentException(what + " has " + values.length + " values; a frame has " + FRAME_PIXELS);
        }
    }
}
