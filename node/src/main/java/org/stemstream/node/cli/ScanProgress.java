package org.stemstream.node.cli;

import java.util.Locale;
import java.util.function.Supplier;
import org.stemstream.protocol.cluster.ScanView;

/** Follows a scan with a progress bar until it ends. */
public final class ScanProgress {
    private ScanProgress() {
    }

    /** Polls {@code status} until the scan ends; a bar in place on a terminal, a line every 5 s elsewhere. */
    public static ScanView follow(Supplier<ScanView> status) throws InterruptedException {
        boolean terminal = System.console() != null;
        long lastPrint = 0;
        while (true) {
            ScanView view = status.get();
            if (view.state().isFinal()) {
                if (terminal) {
                    System.err.print("\r" + bar(view) + "\n");
                }
                return view;
            }
            long now = System.nanoTime();
            if (terminal) {
                System.err.print("\r" + bar(view) + "   ");
            } else if (now - lastPrint > 5_000_000_000L) {
                System.err.println(bar(view));
                lastPrint = now;
            }
            Thread.sleep(250);
        }
    }

    /** {@code [#######.....] scan 7 streaming: 1200/4096 frames, 0 incomplete, 5100 frames/s, ETA 1 s}. */
    public static String bar(ScanView s) {
        int width = 30;
        int filled = s.framesExpected() == 0 ? width
                : (int) Math.min(width, width * s.framesCounted() / s.framesExpected());
        return String.format(Locale.ROOT, "[%s%s] scan %d %s: %d/%d frames, %d incomplete, %.0f frames/s%s",
                "#".repeat(filled), ".".repeat(width - filled), s.scanNumber(),
                s.state().name().toLowerCase(Locale.ROOT), s.framesCounted(), s.framesExpected(),
                s.framesIncomplete(), s.framesPerSecond(),
                s.etaSeconds() >= 0 && !s.state().isFinal() ? String.format(Locale.ROOT, ", ETA %.0f s", s.etaSeconds())
                        : "");
    }
}
