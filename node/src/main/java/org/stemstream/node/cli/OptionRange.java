package org.stemstream.node.cli;

import java.math.BigDecimal;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Numeric options outside their valid range, refused before a command starts anything: a usage error (exit code 2)
 * whose message names the option, the value and the range.
 */
public final class OptionRange {
    private OptionRange() {
    }

    public static void atLeast(CommandSpec spec, String option, double value, double min) {
        if (!(value >= min) || Double.isInfinite(value)) { // NaN and infinities too
            throw refused(spec, option, value, "at least " + text(min));
        }
    }

    public static void between(CommandSpec spec, String option, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw refused(spec, option, value, text(min) + " to " + text(max));
        }
    }

    public static void above(CommandSpec spec, String option, double value, double min) {
        if (!(value > min) || Double.isInfinite(value)) {
            throw refused(spec, option, value, "above " + text(min));
        }
    }

    public static void finite(CommandSpec spec, String option, double value) {
        if (!Double.isFinite(value)) {
            throw refused(spec, option, value, "a finite number");
        }
    }

    private static ParameterException refused(CommandSpec spec, String option, double value, String range) {
        return new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + text(value)
                + " (valid: " + range + ")");
    }

    /** A number as it was most likely typed: 5, not 5.0. */
    private static String text(double value) {
        return Double.isFinite(value) ? BigDecimal.valueOf(value).stripTrailingZeros().toPlainString()
                : String.valueOf(value);
    }
}
