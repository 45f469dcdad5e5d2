package io.qrvoucher.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import tools.jackson.databind.JsonNode;

/** The benchmark results as horizontal bar charts, one panel a benchmark, in one SVG file. */
final class Chart {

    record Bar(String label, double value) {
    }

    /** @param logarithmic bars by the logarithm of their values, for values that span orders of magnitude */
    record Panel(String title, String unit, List<Bar> bars, boolean logarithmic) {

        Panel(String title, String unit, List<Bar> bars) {
            this(title, unit, bars, false);
        }

        int length(double value, int plot) {
            double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
            if (max <= 0 || value <= 0) {
                return 0;
            }
            double fraction = logarithmic ? Math.log1p(value) / Math.log1p(max) : value / max;
            return (int) Math.round(fraction * plot);
        }
    }

    private static final int WIDTH = 760;
    private static final int LABEL_WIDTH = 230;
    private static final int BAR_HEIGHT = 22;
    private static final int GAP = 6;
    private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"};

    private Chart() {
    }

    static String of(Map<String, JsonNode> latest) {
        List<Panel> panels = new ArrayList<>();
        if (latest.containsKey("topology")) {
            JsonNode topology = result(latest, "topology");
            panels.add(new Panel("Topology throughput (median of rounds)", "records/s", List.of(
                    new Bar("baseline: get + put + write", topology.path("baselineRecordsPerSecond").asDouble()),
                    new Bar("voucher topology", topology.path("voucherRecordsPerSecond").asDouble()))));
        }
        if (latest.containsKey("ledger")) {
            List<Bar> bars = new ArrayList<>();
            result(latest, "ledger").path("runs").forEach(run -> bars.add(new Bar(
                    run.path("instances").asInt() + " ledger-adapter instance(s)", run.path("commandsPerSecond").asDouble())));
            panels.add(new Panel("Ledger commands applied", "commands/s", bars));
        }
        if (latest.containsKey("e2e")) {
            JsonNode endToEnd = result(latest, "e2e");
            panels.add(new Panel("End to end: vouchers completed a second", "vouchers/s",
                    BenchmarksDocument.endToEndPhases(endToEnd).stream()
                            .map(phase -> new Bar(label(phase), phase.path("vouchersPerSecond").asDouble())).toList()));
            List<Bar> bars = new ArrayList<>();
            for (JsonNode phase : BenchmarksDocument.endToEndPhases(endToEnd)) {
                bars.add(new Bar(label(phase) + ": redeem p50", phase.path("redeemToRedeemed").path("p50Ms").asDouble()));
                bars.add(new Bar(label(phase) + ": redeem p99", phase.path("redeemToRedeemed").path("p99Ms").asDouble()));
            }
            panels.add(new Panel("End to end: redeem to REDEEMED (logarithmic)", "ms", bars, true));
        }
        if (latest.containsKey("qr")) {
            List<Bar> bars = new ArrayList<>();
            result(latest, "qr").path("operations").forEach(operation -> bars.add(new Bar(
                    "QR " + operation.path("name").asString(), operation.path("perSecond").asDouble())));
            panels.add(new Panel("QR codes, one thread", "operations/s", bars));
        }
        return svg(panels);
    }

    private static String label(JsonNode phase) {
        String name = phase.path("name").asString();
        return name.equals("saturation") ? "closed loop" : name.replace("offered ", "");
    }

    private static JsonNode result(Map<String, JsonNode> latest, String benchmark) {
        return latest.get(benchmark).path("results").path(benchmark);
    }

    static String svg(List<Panel> panels) {
        StringBuilder body = new StringBuilder();
        int y = 10;
        for (Panel panel : panels) {
            body.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\" class=\"title\">%s</text>%n", y + 16,
                    escape(panel.title())));
            y += 28;
            int plot = WIDTH - LABEL_WIDTH - 120;
            for (int i = 0; i < panel.bars().size(); i++) {
                Bar bar = panel.bars().get(i);
                int length = panel.length(bar.value(), plot);
                body.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"label\">%s</text>%n",
                        LABEL_WIDTH - 8, y + 15, escape(bar.label())));
                body.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n",
                        LABEL_WIDTH, y, Math.max(length, 1), BAR_HEIGHT, COLOURS[i % COLOURS.length]));
                body.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"value\">%,.0f %s</text>%n",
                        LABEL_WIDTH + length + 6, y + 15, bar.value(), escape(panel.unit())));
                y += BAR_HEIGHT + GAP;
            }
            y += 14;
        }
        return String.format(Locale.ROOT, """
                <svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">
                <style>
                  text { font-family: sans-serif; font-size: 13px; fill: #222; }
                  .title { font-weight: bold; font-size: 14px; }
                  .label { text-anchor: end; }
                </style>
                <rect width="100%%" height="100%%" fill="white"/>
                %s</svg>
                """, WIDTH, y, WIDTH, y, body);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
