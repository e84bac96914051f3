package org.stemstream.node.cli;

import java.util.Locale;

/** Checks of numeric options, each refusal naming the option, the value and what it must be. */
final class Ranges {
    private Ranges() {
    }

    static void atLeast(String option, long value, long least) {
        if (value < least) {
            throw new IllegalArgumentException(option + " must be at least " + least + ", got " + value);
        }
    }

    /** A TCP port, when given (0 lets the system choose). */
    static void port(String option, Integer value) {
        if (value != null && (value < 0 || value > 65535)) {
            throw new IllegalArgumentException(option + " must be a port from 0 to 65535, got " + value);
        }
    }

    static void positive(String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + " must be a positive number, got " + format(value));
        }
    }

    static void finite(String option, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(option + " must be a finite number, got " + format(value));
        }
    }

    private static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value)
                : String.format(Locale.ROOT, "%s", value);
    }
}
