package org.stemstream.node.counting;

import java.util.LinkedHashMap;
import java.util.Map;
import org.stemstream.kernel.PixelCorrection;

/**
 * How a scan is counted: the pixel correction (with a description of the dark and gain used, for the file's
 * metadata) and where the thresholds come from.
 */
public record CountingSetup(PixelCorrection correction, String darkSource, String gainSource,
                            ThresholdPolicy thresholds) {

    public static CountingSetup of(float[] dark, String darkSource, float[] gain, String gainSource,
                                   ThresholdPolicy thresholds) {
        return new CountingSetup(PixelCorrection.of(dark, gain), dark == null ? "none" : darkSource,
                gain == null ? "none" : gainSource, thresholds);
    }

    /** Attributes that describe the correction. */
    Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("dark", darkSource);
        out.put("gain", gainSource);
        out.put("correction", switch (correction.path()) {
            case RAW -> "raw values";
            case UINT16_DARK -> "uint16 (raw - dark), wrapping";
            case FLOAT -> "float32 (raw - dark) * gain";
        });
        return out;
    }
}
