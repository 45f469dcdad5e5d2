package io.qrvoucher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The side-by-side table and chart are made from the latest race's loadgen results, and nothing else changes. */
class PeerRaceDocumentTest {

    @TempDir
    Path docs;

    @Test
    void theLatestRaceIsTabledAndChartedAndTheWrittenPartsStay() throws IOException {
        Files.writeString(docs.resolve("benchmarks.md"), "# Benchmarks\n\nWritten by hand.\n\n" + PeerRaceDocument.BEGIN
                + "\nstale race\n" + PeerRaceDocument.END + "\n\n## Tuning log\nkept\n");
        Path runs = Files.createDirectories(docs.resolve("benchmark-runs"));
        Files.writeString(runs.resolve("peer-race-20261130T100000Z.jsonl"), run("peer", "closed-64", 64, 999, 0.5, "{}") + "\n");
        Files.writeString(runs.resolve("peer-race-20261201T100000Z.jsonl"), String.join("\n",
                run("peer", "closed-8", 8, 400, 0.5, "{}"),
                run("peer", "closed-64", 64, 500, 0.6, "{}"),
                run("pipeline", "closed-8", 8, 50, 1.5, "{}"),
                run("pipeline", "closed-64", 64, 100, 1.6, "{}"),
                run("pipeline", "open-2x-200", 0, 95, 1.6, "{\"OVERLOADED\": 1234}")) + "\n");

        PeerRaceDocument.regenerate(docs);

        String document = Files.readString(docs.resolve("benchmarks.md"));
        assertThat(document).startsWith("# Benchmarks\n\nWritten by hand.\n\n")
                .endsWith(PeerRaceDocument.END + "\n\n## Tuning log\nkept\n")
                .doesNotContain("stale race", "999")
                .contains("| pipeline closed-64 | 100.0 | 2,000 / 0 | – | 40.0 / 90.0 | 45.0 / 95.0 | 1.60, 0.20, 0.10 | 17.0 |")
                .contains("| pipeline open-2x-200 | 95.0 | 1,900 / 0 | OVERLOADED 1,234 |")
                .contains("the pipeline completes 0.20 × the peer's (100.0 against 500.0)")
                .contains("completes 95 % of its most")
                .contains("peer-race-20261201T100000Z.jsonl");
        String chart = Files.readString(docs.resolve("peer-race.svg"));
        assertThat(chart).startsWith("<svg").contains("500 cycles/s", "100 cycles/s", "pipeline closed-8: generate p50")
                .doesNotContain("pipeline closed-64: generate p50");
    }

    private static String run(String system, String kind, int workers, double cyclesPerSecond, double serverCores,
                              String errors) {
        return String.format(Locale.ROOT, """
                {"label": "%s %s", "workers": %d, "cycles_per_s": %s, "ok": %d, "failed": 0, "errors": %s, \
                "generate_ms": {"p50": 40.0, "p99": 90.0}, "redeem_ms": {"p50": 45.0, "p99": 95.0}, \
                "cpu_cores": {"%s": %s, "loadgen": 0.2, "other": 0.1}}""",
                system, kind, workers, cyclesPerSecond, (long) (cyclesPerSecond * 20), errors, system, serverCores);
    }
}
