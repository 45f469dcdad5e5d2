package io.qrvoucher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The results document is made from the run files, and never touches what people wrote around it. */
class BenchmarksDocumentTest {

    @TempDir
    Path docs;

    @Test
    void eachBenchmarkShowsItsLatestRunAndTheWrittenPartsStay() throws IOException {
        Files.writeString(docs.resolve("benchmarks.md"), "# Benchmarks\n\nMethod, written by hand.\n\n"
                + BenchmarksDocument.BEGIN + "\nstale figures\n" + BenchmarksDocument.END + "\n\n## Tuning log\nkept\n");
        Path runs = docs.resolve("benchmark-runs");
        writeRun(runs, "2026-11-25T100000Z", Map.of("ledger.listener-concurrency", "1"), Map.of(
                "topology", topology(20_000, 80_000),
                "ledger", new LedgerThroughput.Result(3, 100, "freeze", List.of(
                        new LedgerThroughput.Run(1, 3, 20_000, 50, 400, 20_000),
                        new LedgerThroughput.Run(2, 6, 20_000, 30, 666.7, 20_000)))));
        writeRun(runs, "2026-11-26T100000Z", Map.of(), Map.of("topology", topology(48_000, 80_000)));

        BenchmarksDocument.regenerate(docs);

        String document = Files.readString(docs.resolve("benchmarks.md"));
        assertThat(document).startsWith("# Benchmarks\n\nMethod, written by hand.\n\n")
                .endsWith(BenchmarksDocument.END + "\n\n## Tuning log\nkept\n")
                .doesNotContain("stale figures")
                .contains("ratio 0.60**", "voucher topology 48,000 records/s", "Run 2026-11-26T10:00:00Z")
                .contains("| 2 | 6 | 20,000 | 30.00 | 667 | 20,000 |", "Run 2026-11-25T10:00:00Z")
                .contains("options: `--ledger.listener-concurrency=1`")
                .doesNotContain("ratio 0.25");
        String chart = Files.readString(docs.resolve("benchmarks.svg"));
        assertThat(chart).startsWith("<svg").contains("48,000 records/s", "80,000 records/s", "667 commands/s");
    }

    @Test
    void endToEndCpuIsSharedOutOverTheVouchersCompletedInTheMeasuredPhases() throws IOException {
        Files.writeString(docs.resolve("benchmarks.md"), BenchmarksDocument.BEGIN + "\n" + BenchmarksDocument.END + "\n");
        writeRun(docs.resolve("benchmark-runs"), "2026-11-26T100000Z", Map.of(), Map.of("e2e", Map.of(
                "saturation", Map.of("name", "saturation", "vouchersCompleted", 100),
                "offered", List.of(Map.of("name", "offered 50 redemptions/s", "vouchersCompleted", 300)),
                "usage", List.of(
                        Map.of("service", "kafka", "cpuSeconds", 2.0, "cores", 0.5, "peakMemoryMiB", 500),
                        Map.of("service", "ingress-api", "cpuSeconds", 1.0, "cores", 0.25, "peakMemoryMiB", 400)))));

        BenchmarksDocument.regenerate(docs);

        assertThat(Files.readString(docs.resolve("benchmarks.md")))
                .contains("cores busy (of 2)", "| kafka | 2.0 | 0.50 | 5.00 | 500 |", "| ingress-api | 1.0 | 0.25 | 2.50 | 400 |",
                        "| all | 3.0 | | 7.50 | |", "divided by the 400 vouchers");
    }

    @Test
    void aDocumentThatLostItsMarkersIsNotOverwritten() throws IOException {
        Files.writeString(docs.resolve("benchmarks.md"), "# Benchmarks\n\nNo markers here.\n");

        assertThatThrownBy(() -> BenchmarksDocument.regenerate(docs)).hasMessageContaining("results markers");
        assertThat(Files.readString(docs.resolve("benchmarks.md"))).isEqualTo("# Benchmarks\n\nNo markers here.\n");
    }

    @Test
    void barsAreDrawnInProportionToTheirValues() {
        String svg = Chart.svg(List.of(new Chart.Panel("panel", "ms", List.of(
                new Chart.Bar("long", 200), new Chart.Bar("half", 100)))));

        assertThat(svg).contains("width=\"410\"", "width=\"205\"");
    }

    @Test
    void onALogarithmicPanelATenfoldValueIsNotTenTimesLonger() {
        Chart.Panel latency = new Chart.Panel("latency", "ms", List.of(new Chart.Bar("p50", 99), new Chart.Bar("max", 9_999)), true);

        assertThat(latency.length(9_999, 400)).isEqualTo(400);
        assertThat(latency.length(99, 400)).isEqualTo(200);
    }

    private static TopologyThroughput.Result topology(double voucher, double baseline) {
        return new TopologyThroughput.Result(3, 400_000, 190, 100, 1, 150_000, List.of(
                new TopologyThroughput.Run("baseline", 1, 400_000, 400_000 / baseline, baseline, 20),
                new TopologyThroughput.Run("voucher-topology", 1, 400_000, 400_000 / voucher, voucher, 40)),
                baseline, voucher, voucher / baseline);
    }

    private static void writeRun(Path runs, String name, Map<String, String> ledgerAdapter, Map<String, Object> results)
            throws IOException {
        Files.createDirectories(runs);
        Files.writeString(runs.resolve(name + ".json"), RunReport.JSON.writeValueAsString(Map.of(
                "startedAt", name.substring(0, 13) + ":" + name.substring(13, 15) + ":" + name.substring(15),
                "machine", new Machine("test CPU", 2, 24_000, "Linux", "Java 17", "abc123", false),
                "options", Map.of(), "voucherStreams", Map.of(), "ledgerAdapter", ledgerAdapter,
                "results", results)));
    }
}
