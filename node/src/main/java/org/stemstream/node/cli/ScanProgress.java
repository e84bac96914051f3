package org.stemstream.node.cli;

import java.util.Locale;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.scan.ScanStatus;

/** Follows a scan on a node with a progress line until it ends. */
final class ScanProgress {
    private ScanProgress() {
    }

    static ScanStatus follow(StemstreamNode node, long scanNumber) throws InterruptedException {
        boolean terminal = System.console() != null;
        long lastPrint = 0;
        while (true) {
            ScanStatus status = node.statusNow(scanNumber);
            if (status.state().isFinal()) {
                if (terminal) {
                    System.err.print("\r" + bar(status) + "\n");
                }
                return status;
            }
            long now = System.nanoTime();
            if (terminal) {
                System.err.print("\r" + bar(status) + "   ");
            } else if (now - lastPrint > 5_000_000_000L) {
                System.err.println(bar(status));
                lastPrint = now;
            }
            Thread.sleep(250);
        }
    }

    /** {@code [#######.....] 1200/4096 frames, 5100 frames/s, ETA 1 s}. */
    static String bar(ScanStatus s) {
        int width = 30;
        int filled = s.framesExpected() == 0 ? width : (int) (width * s.framesCounted() / s.framesExpected());
        return String.format(Locale.ROOT, "[%s%s] scan %d %s: %d/%d frames, %d incomplete, %.0f frames/s%s",
                "#".repeat(filled), ".".repeat(width - filled), s.scanNumber(),
                s.state().name().toLowerCase(Locale.ROOT), s.framesCounted(), s.framesExpected(),
                s.framesIncomplete(), s.framesPerSecond(),
                s.etaSeconds() >= 0 && !s.state().isFinal() ? String.format(Locale.ROOT, ", ETA %.0f s", s.etaSeconds())
                        : "");
    }
}
