package org.stemstream.node.counting;

import org.stemstream.kernel.Thresholds;

/** Where a scan's thresholds come from: given by the user, or computed from its first complete frames. */
public sealed interface ThresholdPolicy {
    record Given(Thresholds thresholds) implements ThresholdPolicy {
    }

    /**
     * stempy's calculation over the first {@code frames} complete frames (lowest frame numbers), each weighted
     * {@code samples / frames} times.
     */
    record Computed(int frames, int samples, double backgroundSigma, double xraySigma) implements ThresholdPolicy {
        /** stempy's Python defaults: 1 block, 40 samples, 4 and 10 sigma. */
        public static final Computed DEFAULT = new Computed(1, 40, 4, 10);

        public Computed {
            if (frames < 1 || samples < 1) {
                throw new IllegalArgumentException("threshold frames and samples must be at least 1, got "
                        + frames + " and " + samples);
            }
        }
    }
}
