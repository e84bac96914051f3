package org.stemstream.protocol.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A scan as the cluster sees it: its state, the account of its frames, each sector's blocks and each node's share.
 *
 * @param rejectedBlocks blocks rejected while the scan was open for another reason than duplicate or late
 *                       (impossible headers, frames outside the scan, blocks of scans not open), the last of them
 *                       explained by {@code lastRejection}
 * @param message        why the scan ended or failed (else empty)
 */
public record ScanView(long scanNumber, State state, int framesExpected, long framesCounted, long framesIncomplete,
                       long framesMissing, long events, double framesPerSecond, double etaSeconds,
                       List<SectorAccount> sectors, long duplicateBlocks, long lateBlocks, long rejectedBlocks,
                       String lastRejection, long extraFrames,
                       double backgroundThreshold, double xrayThreshold, List<NodeAccount> nodes, String output,
                       String message) implements ClusterMessage {

    public ScanView {
        sectors = new ArrayList<>(sectors);
        nodes = new ArrayList<>(nodes);
    }

    /** A scan's lifecycle. */
    public enum State {
        CALIBRATING, STREAMING, FINALIZING, DONE, FAILED, CANCELLED;

        public boolean isFinal() {
            return this == DONE || this == FAILED || this == CANCELLED;
        }
    }

    /** @param blocksSent what the producer's ends of scan said, or -1 before every one arrived */
    public record SectorAccount(int sector, long blocksReceived, long blocksSent) implements ClusterMessage {
        public String describe() {
            return blocksSent < 0 ? "sector " + sector + ": " + blocksReceived + " blocks, no end of scan"
                    : "sector " + sector + ": " + blocksReceived + " of " + blocksSent + " blocks"
                    + (blocksSent > blocksReceived ? " (" + (blocksSent - blocksReceived) + " lost)" : "");
        }
    }

    /** One node's share of the scan. */
    public record NodeAccount(String node, long framesCounted, boolean inputEnded) implements ClusterMessage {
    }

    /** This scan failed with no file written: every frame missing, and why. */
    public ScanView failedWithoutFile(String why) {
        return new ScanView(scanNumber, State.FAILED, framesExpected, 0, 0, framesExpected, 0, 0, -1, sectors,
                duplicateBlocks, lateBlocks, rejectedBlocks, lastRejection, extraFrames, backgroundThreshold,
                xrayThreshold, nodes, output, why);
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
            b.append("  ").append(message).append('\n');
        }
        if (!Double.isNaN(backgroundThreshold)) {
            b.append(String.format(Locale.ROOT, "  thresholds: background %.6g, x-ray %.6g; %d events%n",
                    backgroundThreshold, xrayThreshold, events));
        }
        sectors.forEach(s -> b.append("  ").append(s.describe()).append('\n'));
        if (nodes.size() > 1) {
            nodes.forEach(n -> b.append("  node ").append(n.node()).append(": ").append(n.framesCounted())
                    .append(" frames\n"));
        }
        if (duplicateBlocks + lateBlocks + extraFrames > 0) {
            b.append(String.format(Locale.ROOT, "  rejected: %d duplicate blocks, %d late blocks, %d extra frames%n",
                    duplicateBlocks, lateBlocks, extraFrames));
        }
        if (rejectedBlocks > 0) {
            b.append(String.format(Locale.ROOT, "  %d other blocks rejected while the scan was open; the last: %s%n",
                    rejectedBlocks, lastRejection));
        }
        b.append("  output: ").append(output);
        return b.toString();
    }
}
