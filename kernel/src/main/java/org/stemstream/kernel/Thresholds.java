package org.stemstream.kernel;

/** Corrected values strictly between the two thresholds are kept; all others count as zero. */
public record Thresholds(double background, double xray) {
    public Thresholds {
        if (Double.isNaN(background) || Double.isNaN(xray)) {
            throw new IllegalArgumentException("thresholds must be numbers, got " + background + " / " + xray);
        }
        if (!(background < xray)) {
            throw new IllegalArgumentException("the background threshold " + background
                    + " must be below the x-ray threshold " + xray);
        }
    }

    /** stempy's rule: a value at or below the background, or at or above the x-ray threshold, is zeroed. */
    public boolean keeps(double value) {
        return !(value <= background || value >= xray);
    }
}
