package io.qrvoucher.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;

/**
 * Makes the results part of {@code docs/benchmarks.md} and its chart {@code docs/benchmarks.svg}
 * anew from the run files: for each benchmark, the latest run that has it. The rest of the
 * document (method, tuning log) is written by people and left as it is.
 */
final class BenchmarksDocument {

    static final String BEGIN = "<!-- results:begin (written by the benchmark harness) -->";
    static final String END = "<!-- results:end -->";

    private BenchmarksDocument() {
    }

    static void regenerate(Path docs) {
        Map<String, JsonNode> latest = latestRuns(docs.resolve("benchmark-runs"));
        try {
            Path document = docs.resolve("benchmarks.md");
            if (!Files.exists(document)) {
                Files.writeString(document, "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n");
            }
            writeBetween(document, "results", BEGIN, END, markdown(latest));
            Files.writeString(docs.resolve("benchmarks.svg"), Chart.of(latest));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Replaces what stands between two markers of a document, leaving the markers and the rest as they are;
     * a document that lost them is left alone. {@code part} names the part in that error.
     */
    static void writeBetween(Path document, String part, String begin, String end, String content) throws IOException {
        String text = Files.readString(document);
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalStateException(document + " has lost its " + part + " markers " + begin + " ... " + end);
        }
        Files.writeString(document, text.substring(0, from + begin.length()) + "\n" + content + text.substring(to));
    }

    /** Benchmark name → {run: the run's JSON, result: its result of that benchmark}, newest run first. */
    static Map<String, JsonNode> latestRuns(Path runs) {
        Map<String, JsonNode> latest = new LinkedHashMap<>();
        if (!Files.isDirectory(runs)) {
            return latest;
        }
        try (Stream<Path> files = Files.list(runs)) {
            List<Path> newestFirst = files.filter(file -> file.toString().endsWith(".json"))
                    .sorted(java.util.Comparator.reverseOrder()).toList();
            for (Path file : newestFirst) {
                JsonNode run = RunReport.JSON.readTree(file.toFile());
                for (String benchmark : Benchmarks.ALL) {
                    if (!latest.containsKey(benchmark) && run.path("results").has(benchmark)) {
                        latest.put(benchmark, run);
                    }
                }
            }
            return latest;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String markdown(Map<String, JsonNode> latest) {
        StringBuilder md = new StringBuilder();
        md.append("\n![Benchmark results](benchmarks.svg)\n\n");
        for (String benchmark : Benchmarks.ALL) {
            JsonNode run = latest.get(benchmark);
            if (run == null) {
                continue;
            }
            JsonNode result = run.path("results").path(benchmark);
            switch (benchmark) {
                case "topology" -> topology(md, result);
                case "ledger" -> ledger(md, result);
                case "expiry" -> expiry(md, result);
                case "qr" -> qr(md, result);
                case "e2e" -> endToEnd(md, result, run.path("machine").path("cores").asInt());
                default -> throw new IllegalStateException(benchmark);
            }
            md.append("\n").append(provenance(run)).append("\n\n");
        }
        return md.toString();
    }

    private static void topology(StringBuilder md, JsonNode result) {
        md.append("### Topology throughput, straight at Kafka\n\n");
        md.append(String.format(Locale.ROOT, "%,d generate requests of %d bytes, %d partitions, exactly-once v2, "
                        + "commit interval %d ms, %d stream thread(s); the input was produced at %,.0f records/s.%n%n",
                result.path("records").asLong(), result.path("recordBytes").asInt(), result.path("partitions").asInt(),
                result.path("commitIntervalMs").asLong(), result.path("streamThreads").asInt(),
                result.path("producerRecordsPerSecond").asDouble()));
        md.append("| application | round | seconds | records/s | CPU µs a record (whole JVM, broker included) |\n"
                + "|---|---|---|---|---|\n");
        for (JsonNode run : result.path("runs")) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %,.0f | %.1f |%n", run.path("application").asString(),
                    run.path("round").asInt(), run.path("seconds").asDouble(), run.path("recordsPerSecond").asDouble(),
                    run.path("cpuMicrosPerRecord").asDouble()));
        }
        md.append(String.format(Locale.ROOT, "%n**Median: voucher topology %,.0f records/s, baseline %,.0f records/s, "
                        + "ratio %.2f** (target ≥ 0.60).%n", result.path("voucherRecordsPerSecond").asDouble(),
                result.path("baselineRecordsPerSecond").asDouble(), result.path("ratio").asDouble()));
    }

    private static void ledger(StringBuilder md, JsonNode result) {
        md.append("### Ledger commands applied on PostgreSQL\n\n");
        md.append(String.format(Locale.ROOT, "%s; %d payer and %d payee accounts; %d partitions.%n%n",
                result.path("mix").asString(), result.path("accounts").asInt(), result.path("accounts").asInt(),
                result.path("partitions").asInt()));
        md.append("| instances | consumers | commands | seconds | commands/s | results published |\n"
                + "|---|---|---|---|---|---|\n");
        for (JsonNode run : result.path("runs")) {
            md.append(String.format(Locale.ROOT, "| %d | %d | %,d | %.2f | %,.0f | %,d |%n", run.path("instances").asInt(),
                    run.path("consumers").asInt(),
                    run.path("commands").asInt(), run.path("seconds").asDouble(), run.path("commandsPerSecond").asDouble(),
                    run.path("resultsPublished").asLong()));
        }
    }

    private static void expiry(StringBuilder md, JsonNode result) {
        md.append("### Expiry work\n\n");
        md.append("| live vouchers | due | indexes built at task start | punctuations | expiry time | longest punctuation | expired | index entries read | entries read per expiry |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        JsonNode build = result.path("indexBuildSeconds");
        md.append(String.format(Locale.ROOT, "| %,d | %,d | %s | %d (≤ %,d each) | %.2f s | %.0f ms | %,d | %,d | %.2f |%n",
                result.path("live").asInt(), result.path("due").asInt(),
                build.isMissingNode() ? "—" : String.format(Locale.ROOT, "%.2f s", build.asDouble()),
                result.path("punctuations").asInt(),
                result.path("maxPerPunctuation").asInt(), result.path("expirySeconds").asDouble(),
                result.path("longestPunctuationMs").asDouble(), result.path("expired").asLong(),
                result.path("indexEntriesRead").asLong(), result.path("indexEntriesReadPerExpired").asDouble()));
    }

    private static void qr(StringBuilder md, JsonNode result) {
        md.append("### QR codes (JMH, one thread)\n\n");
        md.append(String.format(Locale.ROOT, "%s; %d fork, %d × %d s measured.%n%n", result.path("png").asString(),
                result.path("forks").asInt(), result.path("iterations").asInt(), result.path("iterationSeconds").asInt()));
        md.append("| operation | per second | ± (99.9%) |\n|---|---|---|\n");
        for (JsonNode operation : result.path("operations")) {
            md.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f |%n", operation.path("name").asString(),
                    operation.path("perSecond").asDouble(), operation.path("error").asDouble()));
        }
    }

    private static void endToEnd(StringBuilder md, JsonNode result, int cores) {
        md.append("### End to end over HTTP\n\n");
        md.append(String.format(Locale.ROOT, "Lifecycles: %s; %d partitions; one instance of each service, each in "
                        + "its own JVM (%s); voucher-streams %s; ledger-adapter %s.%n%n",
                result.path("mix").asString(), result.path("partitions").asInt(),
                String.join(" ", result.path("serviceJvm").valueStream().map(JsonNode::asString).toList()),
                settings(result.path("voucherStreams")), settings(result.path("ledgerAdapter"))));
        md.append("| phase | vouchers/s | redemptions/s | requests/s | generate→UNUSED p50 / p95 / p99 / max (ms) "
                + "| redeem→REDEEMED p50 / p95 / p99 / max (ms) | failures |\n|---|---|---|---|---|---|---|\n");
        for (JsonNode p : endToEndPhases(result)) {
            String name = p.path("name").asString().equals("saturation")
                    ? "closed loop, " + result.path("saturationConcurrency").asInt() + " lifecycles in flight"
                    : p.path("name").asString();
            md.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f | %,.0f | %s | %s | %s |%n", name,
                    p.path("vouchersPerSecond").asDouble(), p.path("redemptionsPerSecond").asDouble(),
                    p.path("requestsPerSecond").asDouble(), latency(p.path("generateToUnused")),
                    latency(p.path("redeemToRedeemed")), p.path("failures").isEmpty() ? "none" : p.path("failures").toString()));
        }
        md.append(String.format(Locale.ROOT, "%nOf the %,d measured vouchers left to expire, %,d were EXPIRED when "
                        + "asked, at least 3 s after their validity ended.%n%n",
                result.path("expiries").path("leftToExpire").asLong(), result.path("expiries").path("expired").asLong()));
        long vouchers = endToEndPhases(result).stream().mapToLong(p -> p.path("vouchersCompleted").asLong()).sum();
        md.append(String.format(Locale.ROOT, "| process | CPU seconds | cores busy (of %d) | CPU ms a completed voucher "
                + "| peak memory (PSS, MiB) |%n|---|---|---|---|---|%n", cores));
        double cpuSeconds = 0;
        for (JsonNode use : result.path("usage")) {
            cpuSeconds += use.path("cpuSeconds").asDouble();
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.2f | %.2f | %,d |%n", use.path("service").asString(),
                    use.path("cpuSeconds").asDouble(), use.path("cores").asDouble(),
                    1000 * use.path("cpuSeconds").asDouble() / vouchers, use.path("peakMemoryMiB").asLong()));
        }
        md.append(String.format(Locale.ROOT, "| all | %.1f | | %.2f | |%n", cpuSeconds, 1000 * cpuSeconds / vouchers));
        md.append(String.format(Locale.ROOT, "%nCPU a completed voucher: each process's CPU over the measured phases "
                + "divided by the %,d vouchers completed in them.%n", vouchers));
    }

    /** The end-to-end result's phases in the order they ran: the closed loop, then each offered rate. */
    static List<JsonNode> endToEndPhases(JsonNode endToEnd) {
        List<JsonNode> phases = new ArrayList<>();
        phases.add(endToEnd.path("saturation"));
        endToEnd.path("offered").forEach(phases::add);
        return phases;
    }

    private static String settings(JsonNode overrides) {
        return overrides.isEmpty() ? "as shipped" : overrides.toString();
    }

    private static String latency(JsonNode latency) {
        return String.format(Locale.ROOT, "%.0f / %.0f / %.0f / %.0f", latency.path("p50Ms").asDouble(),
                latency.path("p95Ms").asDouble(), latency.path("p99Ms").asDouble(), latency.path("maxMs").asDouble());
    }

    private static String provenance(JsonNode run) {
        JsonNode machine = run.path("machine");
        List<String> options = new ArrayList<>();
        // The command line as given: the harness's options, then the settings for each service.
        for (String given : List.of("options", "voucherStreams", "ledgerAdapter")) {
            run.path(given).properties().forEach(entry -> options.add("--" + entry.getKey() + "=" + entry.getValue().asString()));
        }
        return String.format(Locale.ROOT, "<sub>Run %s on %s, %d cores, %,d MiB; %s; commit `%s`%s; options: %s.</sub>",
                run.path("startedAt").asString(), machine.path("cpu").asString(), machine.path("cores").asInt(),
                machine.path("memoryMiB").asLong(), machine.path("java").asString(), machine.path("commit").asString(),
                machine.path("uncommittedChanges").asBoolean() ? " with uncommitted changes" : "",
                options.isEmpty() ? "defaults" : "`" + String.join(" ", options) + "`");
    }
}
