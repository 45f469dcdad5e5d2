package io.qrvoucher.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;

/**
 * Makes the side-by-side part of {@code docs/benchmarks.md} and its chart {@code docs/peer-race.svg} anew from
 * the latest race against the peer ({@code docs/benchmark-runs/peer-race-<time>.jsonl}, one loadgen result a
 * line, written by {@code ./bench.sh peer}). What people wrote around it stays as it is.
 */
final class PeerRaceDocument {

    static final String BEGIN = "<!-- peer-race:begin (written by ./bench.sh peer) -->";
    static final String END = "<!-- peer-race:end -->";
    private static final String PEER = "peer";
    private static final String PIPELINE = "pipeline";

    private PeerRaceDocument() {
    }

    static void regenerate(Path docs) {
        Path race = latestRace(docs.resolve("benchmark-runs"))
                .orElseThrow(() -> new IllegalStateException("no peer-race-*.jsonl in " + docs.resolve("benchmark-runs")));
        try {
            List<JsonNode> runs = new ArrayList<>();
            for (String line : Files.readAllLines(race)) {
                if (!line.isBlank()) {
                    runs.add(RunReport.JSON.readTree(line));
                }
            }
            BenchmarksDocument.writeBetween(docs.resolve("benchmarks.md"), "peer-race", BEGIN, END,
                    markdown(race.getFileName().toString(), runs));
            Files.writeString(docs.resolve("peer-race.svg"), chart(runs));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Optional<Path> latestRace(Path runs) {
        if (!Files.isDirectory(runs)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(runs)) {
            return files.filter(file -> file.getFileName().toString().matches("peer-race-.*\\.jsonl"))
                    .max(Comparator.naturalOrder());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String markdown(String source, List<JsonNode> runs) {
        StringBuilder md = new StringBuilder();
        md.append("\n![The race against the peer](peer-race.svg)\n\n");
        md.append("| run | cycles/s | ok / failed | refused or failed, by reason | generate p50 / p99 ms | redeem p50 / p99 ms "
                + "| CPU cores: server, loadgen, other | CPU a cycle, ms (all but the loadgen) |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (JsonNode run : runs) {
            JsonNode cores = run.path("cpu_cores");
            OptionalDouble cpu = cpuMsPerCycle(run);
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %,d / %,d | %s | %s | %s | %.2f, %.2f, %.2f | %s |%n",
                    run.path("label").asString(), run.path("cycles_per_s").asDouble(), run.path("ok").asLong(),
                    run.path("failed").asLong(), reasons(run.path("errors")), latency(run.path("generate_ms")),
                    latency(run.path("redeem_ms")), cores.path(system(run)).asDouble(), cores.path("loadgen").asDouble(),
                    cores.path("other").asDouble(),
                    cpu.isPresent() ? String.format(Locale.ROOT, "%.1f", cpu.getAsDouble()) : "–"));
        }
        md.append('\n');
        Optional<JsonNode> peerMost = run(runs, PEER, "closed-", true);
        Optional<JsonNode> pipelineMost = run(runs, PIPELINE, "closed-", true);
        if (peerMost.isPresent() && pipelineMost.isPresent()) {
            md.append(String.format(Locale.ROOT, "At most cycles/s the pipeline completes %.2f × the peer's (%.1f against %.1f).%n",
                    pipelineMost.get().path("cycles_per_s").asDouble() / peerMost.get().path("cycles_per_s").asDouble(),
                    pipelineMost.get().path("cycles_per_s").asDouble(), peerMost.get().path("cycles_per_s").asDouble()));
        }
        Optional<JsonNode> pipelineOpen = run(runs, PIPELINE, "open-", false);
        if (pipelineMost.isPresent() && pipelineOpen.isPresent()) {
            md.append(String.format(Locale.ROOT, "Offered twice its most, the pipeline completes %.0f %% of its most.%n",
                    100 * pipelineOpen.get().path("cycles_per_s").asDouble() / pipelineMost.get().path("cycles_per_s").asDouble()));
        }
        md.append("\nThe server's CPU is its process tree (the pipeline's broker runs inside it). Both PostgreSQLs run "
                + "apart from it, as a daemon started for the server, and show as \"other\", with the kernel's work. The CPU a "
                + "cycle counts the server and the other, not the loadgen. From `docs/benchmark-runs/").append(source)
                .append("`.\n\n");
        return md.toString();
    }

    static String chart(List<JsonNode> runs) {
        List<Chart.Bar> throughput = new ArrayList<>();
        List<Chart.Bar> latency = new ArrayList<>();
        List<Chart.Bar> cpu = new ArrayList<>();
        for (JsonNode run : runs) {
            String label = run.path("label").asString();
            throughput.add(new Chart.Bar(label, run.path("cycles_per_s").asDouble()));
            cpuMsPerCycle(run).ifPresent(ms -> cpu.add(new Chart.Bar(label, ms)));
            if (label.contains("closed-") && !isMost(runs, run)) {
                latency.add(new Chart.Bar(label + ": generate p50", run.path("generate_ms").path("p50").asDouble()));
                latency.add(new Chart.Bar(label + ": redeem p50", run.path("redeem_ms").path("p50").asDouble()));
            }
        }
        return Chart.svg(List.of(
                new Chart.Panel("Cycles completed a second (generate + redeem, both settled)", "cycles/s", throughput),
                new Chart.Panel("Light load: a step's median", "ms", latency),
                new Chart.Panel("CPU a completed cycle, all but the loadgen", "ms", cpu)));
    }

    /** The system's closed loop with the most workers (its most cycles/s), or its open loop. */
    private static Optional<JsonNode> run(List<JsonNode> runs, String system, String kind, boolean mostWorkers) {
        return runs.stream()
                .filter(run -> run.path("label").asString().startsWith(system + " " + kind))
                .max(Comparator.comparingInt(run -> mostWorkers ? run.path("workers").asInt() : 0));
    }

    private static boolean isMost(List<JsonNode> runs, JsonNode run) {
        return run(runs, system(run), "closed-", true).filter(most -> most == run).isPresent();
    }

    /** Which system a run drove: the first word of its label, also the name the loadgen gives its server's CPU. */
    private static String system(JsonNode run) {
        return run.path("label").asString().split(" ")[0];
    }

    /** The CPU of the server and of the other processes (not the loadgen) a completed cycle; none if none completed. */
    private static OptionalDouble cpuMsPerCycle(JsonNode run) {
        double cyclesPerSecond = run.path("cycles_per_s").asDouble();
        if (cyclesPerSecond <= 0) {
            return OptionalDouble.empty();
        }
        JsonNode cores = run.path("cpu_cores");
        return OptionalDouble.of((cores.path(system(run)).asDouble() + cores.path("other").asDouble()) * 1000 / cyclesPerSecond);
    }

    private static String reasons(JsonNode errors) {
        if (errors.isEmpty()) {
            return "–";
        }
        return errors.properties().stream()
                .map(entry -> String.format(Locale.ROOT, "%s %,d", entry.getKey(), entry.getValue().asLong()))
                .collect(Collectors.joining(", "));
    }

    private static String latency(JsonNode percentiles) {
        return String.format(Locale.ROOT, "%,.1f / %,.1f", percentiles.path("p50").asDouble(), percentiles.path("p99").asDouble());
    }
}
