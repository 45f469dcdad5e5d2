package io.qrvoucher.bench;

import java.io.PrintStream;
import java.util.function.Supplier;

/** A one-line progress bar on the terminal, redrawn in place; quiet when nothing is to be shown. */
public final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private long lastDrawn;

    public ProgressBar(PrintStream out, String label) {
        this.out = out;
        this.label = label;
    }

    public void show(long done, long total) {
        show(done, total, () -> "");
    }

    /** @param detail what to show after the bar, asked for only when the bar is drawn (at most five times a second) */
    public void show(long done, long total, Supplier<String> detail) {
        long now = System.nanoTime();
        if (now - lastDrawn < 200_000_000L && done < total) {
            return;
        }
        lastDrawn = now;
        double fraction = total == 0 ? 1 : Math.min(1, (double) done / total);
        int filled = (int) Math.round(fraction * WIDTH);
        out.printf("\r%-28s [%s%s] %3d%% %s   ", label, "#".repeat(filled), "-".repeat(WIDTH - filled),
                Math.round(fraction * 100), detail.get());
        out.flush();
    }

    public void done(String summary) {
        out.printf("\r%-28s %s%s%n", label, summary, " ".repeat(40));
    }
}
