package org.stemstream.node.counting;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress line for long work: count, percentage, rate and ETA, refreshed in place on a terminal and every few
 * seconds as plain lines elsewhere (logs, CI).
 */
public final class ProgressLine implements AutoCloseable {
    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean terminal = System.console() != null;
    private final AtomicLong done = new AtomicLong();
    private final long start = System.nanoTime();
    private final ScheduledExecutorService ticker;

    public ProgressLine(String label, long total, PrintStream out) {
        this.label = label;
        this.total = total;
        this.out = out;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "progress");
            t.setDaemon(true);
            return t;
        });
        long period = terminal ? 500 : 5000;
        ticker.scheduleAtFixedRate(this::print, period, period, TimeUnit.MILLISECONDS);
    }

    /** A progress line that prints nothing. */
    public static ProgressLine silent(long total) {
        return new ProgressLine("", total, new PrintStream(PrintStream.nullOutputStream()));
    }

    public void add(long n) {
        done.addAndGet(n);
    }

    public long done() {
        return done.get();
    }

    /** The current line, e.g. {@code counting 1200/4096 frames (29%) 5100 frames/s ETA 0:01}. */
    public String line() {
        long d = done.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = seconds > 0 ? d / seconds : 0;
        long eta = rate > 0 ? Math.round((total - d) / rate) : -1;
        return String.format(Locale.ROOT, "%s %d/%d frames (%d%%) %.0f frames/s ETA %s", label, d, total,
                total > 0 ? d * 100 / total : 100, rate, eta < 0 ? "?" : String.format(Locale.ROOT, "%d:%02d",
                        eta / 60, eta % 60));
    }

    private void print() {
        if (terminal) {
            out.print("\r" + line() + "   ");
        } else {
            out.println(line());
        }
        out.flush();
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        if (terminal) {
            out.print("\r" + line() + "   \n");
            out.flush();
        }
    }
}
