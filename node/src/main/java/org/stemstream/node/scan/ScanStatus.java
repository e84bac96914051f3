package org.stemstream.node.scan;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.stemstream.node.counting.CountSummary;

/**
 * A scan as the coordinator sees it: its state and the account of its frames and of each sector's blocks.
 *
 * @param summary the final account, once the scan is done (else null)
 * @param message why the scan ended or failed (else empty)
 */
public record ScanStatus(long scanNumber, State state, int framesExpected, long framesCounted,
                         long framesIncomplete, long framesMissing, double framesPerSecond, double etaSeconds,
                         List<SectorAccount> sectors, long duplicateBlocks, long lateBlocks, long extraFrames,
                         Path output, String message, CountSummary summary) {

    /** A scan's lifecycle. */
    public enum State {
        CALIBRATING, STREAMING, FINALIZING, DONE, FAILED, CANCELLED;

        public boolean isFinal() {
            return this == DONE || this == FAILED || this == CANCELLED;
        }
    }

    /** @param blocksSent what the producer's end of scan said, or -1 before it arrived */
    public record SectorAccount(int sector, long blocksReceived, long blocksSent) {
        public String describe() {
            return blocksSent < 0 ? "sector " + sector + ": " + blocksReceived + " blocks, no end of scan"
                    : "sector " + sector + ": " + blocksReceived + " of " + blocksSent + " blocks"
                    + (blocksSent > blocksReceived ? " (" + (blocksSent - blocksReceived) + " lost)" : "");
        }
    }

    /** One line: state, counts, rate and ETA. */
    public String line() {
        return String.format(Locale.ROOT, "scan %d %s: %d/%d frames counted (%d incomplete, %d missing), %.0f frames/s%s",
                scanNumber, state.name().toLowerCase(Locale.ROOT), framesCounted, framesExpected, framesIncomplete,
                framesMissing, framesPerSecond, state.isFinal() || etaSeconds < 0 ? ""
                        : String.format(Locale.ROOT, ", ETA %.0f s", etaSeconds));
    }

    /** Several lines for people. */
    public String describe() {
        StringBuilder b = new StringBuilder(line()).append('\n');
        if (!message.isEmpty()) {
            b.append(message).append('\n');
        }
        sectors.forEach(s -> b.append("  ").append(s.describe()).append('\n'));
        if (duplicateBlocks + lateBlocks + extraFrames > 0) {
            b.append(String.format(Locale.ROOT, "  rejected: %d duplicate blocks, %d late blocks, %d extra frames%n",
                    duplicateBlocks, lateBlocks, extraFrames));
        }
        b.append("  output: ").append(output);
        return b.toString();
    }
}
