package org.stemstream.node.counting;

import java.nio.file.Path;
import java.util.Locale;
import org.stemstream.kernel.ThresholdStatistics;
import org.stemstream.kernel.Thresholds;

/**
 * What became of every frame slot of a counted scan: counted (complete), counted incomplete (a sector missing,
 * zero-filled), or missing (no sector at all, stored with no events).
 *
 * @param statistics null when the thresholds were given
 */
public record CountSummary(long scanNumber, int framesExpected, int framesCounted, long[] incompleteSlots,
                           long[] missingSlots, long events, Thresholds thresholds, ThresholdStatistics statistics,
                           double seconds, Path output) {

    public int framesIncomplete() {
        return incompleteSlots.length;
    }

    public int framesMissing() {
        return missingSlots.length;
    }

    public double framesPerSecond() {
        return seconds > 0 ? framesCounted / seconds : 0;
    }

    /** A few lines for people: frames, events, thresholds, speed, output. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "scan %d: %d frames expected, %d counted (%d of them incomplete), %d missing%n",
                scanNumber, framesExpected, framesCounted, framesIncomplete(), framesMissing()));
        b.append(String.format(Locale.ROOT, "events: %d (%.1f per counted frame)%n", events,
                framesCounted > 0 ? (double) events / framesCounted : 0.0));
        b.append(String.format(Locale.ROOT, "thresholds: background %.6g, x-ray %.6g (%s)%n", thresholds.background(),
                thresholds.xray(), statistics == null ? "given" : String.format(Locale.ROOT,
                        "computed from %d frame(s): mean %.4f, std %.4f, fitted mean %.4f, sigma %.4f",
                        statistics.sampleFrames(), statistics.mean(), statistics.stdDev(), statistics.fittedMean(),
                        statistics.fittedSigma())));
        b.append(String.format(Locale.ROOT, "speed: %.0f frames/s (%.2f s)%n", framesPerSecond(), seconds));
        if (framesIncomplete() > 0) {
            b.append("incomplete frame slots: ").append(preview(incompleteSlots)).append('\n');
        }
        if (framesMissing() > 0) {
            b.append("missing frame slots: ").append(preview(missingSlots)).append('\n');
        }
        b.append("output: ").append(output);
        return b.toString();
    }

    private static String preview(long[] slots) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(slots.length, 20); i++) {
            b.append(i > 0 ? " " : "").append(slots[i]);
        }
        return slots.length > 20 ? b + " ... (" + slots.length + " in all; see /frame_status in the file)" : b.toString();
    }
}
