package io.qrvoucher.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.qrvoucher.launcher.KraftBroker;
import io.qrvoucher.launcher.ServiceProcess;

/**
 * Runs the benchmarks named on the command line ({@code all} by default) and writes their results:
 * a JSON file per run under {@code docs/benchmark-runs/}, and {@code docs/benchmarks.md} with its
 * chart made anew from the latest result of each benchmark.
 *
 * <pre>
 * ./bench.sh [all | topology ledger expiry qr e2e] [--records=400000] [--rounds=3] [--partitions=3]
 *            [--ledger-commands=20000] [--ledger-accounts=100] [--redemptions-per-second=50,100,500] [--duration=60]
 *            [--warm-up=60] [--service-jvm=-XX:+UseSerialGC] [--voucher.commit-interval=100ms ...]
 * </pre>
 * Options starting with {@code --voucher.} configure voucher-streams, and options starting with
 * {@code --ledger.} or {@code --spring.} the ledger adapter, in the benchmarks that run them.
 */
public final class Benchmarks {

    static final List<String> ALL = List.of("qr", "expiry", "topology", "ledger", "e2e");

    private Benchmarks() {
    }

    public static void main(String[] args) throws Exception {
        List<String> chosen = new ArrayList<>();
        Map<String, String> options = new HashMap<>();
        Map<String, String> voucherOverrides = new LinkedHashMap<>();
        Map<String, String> ledgerOverrides = new LinkedHashMap<>();
        for (String arg : args) {
            if (arg.startsWith("--ledger.") || arg.startsWith("--spring.")) {
                ledgerOverrides.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else if (arg.startsWith("--voucher.")) {
                voucherOverrides.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else if (arg.startsWith("--") && arg.contains("=")) {
                options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else if (arg.equals("all")) {
                chosen.addAll(ALL);
            } else if (ALL.contains(arg)) {
                chosen.add(arg);
            } else {
                throw new IllegalArgumentException("Unknown benchmark " + arg + "; choose from " + ALL + " or all");
            }
        }
        if (chosen.isEmpty()) {
            chosen.addAll(ALL);
        }
        Path work = Path.of("target", "bench");
        Path docs = Path.of(options.getOrDefault("docs", "docs"));
        int partitions = Integer.parseInt(options.getOrDefault("partitions", "3"));
        RunReport report = RunReport.start(Machine.describe(), options, voucherOverrides, ledgerOverrides);

        for (String benchmark : chosen) {
            System.out.printf("%n== %s ==%n", benchmark);
            Path directory = fresh(work.resolve(benchmark));
            switch (benchmark) {
                case "qr" -> report.put("qr", QrThroughput.run(Integer.parseInt(options.getOrDefault("qr-seconds", "2"))));
                case "expiry" -> report.put("expiry", io.qrvoucher.voucher.streams.ExpiryWork.run(directory,
                        Integer.parseInt(options.getOrDefault("live", "1000000")),
                        Integer.parseInt(options.getOrDefault("due", "100000")), System.out));
                case "topology" -> {
                    try (KraftBroker broker = broker(directory)) {
                        report.put("topology", new TopologyThroughput(broker.bootstrapServers(), directory.resolve("state"),
                                partitions, voucherOverrides, System.out).run(
                                Integer.parseInt(options.getOrDefault("records", "400000")),
                                Integer.parseInt(options.getOrDefault("rounds", "3"))));
                    }
                }
                case "ledger" -> {
                    try (KraftBroker broker = broker(directory)) {
                        report.put("ledger", new LedgerThroughput(broker.bootstrapServers(), directory, partitions,
                                Integer.parseInt(options.getOrDefault("ledger-accounts", "100")), ledgerOverrides, System.out).run(Integer.parseInt(options.getOrDefault("ledger-commands", "20000")),
                                List.of(1, 2)));
                    }
                }
                case "e2e" -> report.put("e2e", new EndToEnd(directory, partitions, voucherOverrides, ledgerOverrides,
                        Stream.of(options.getOrDefault("service-jvm", "-XX:+UseSerialGC").split(" "))
                                .filter(option -> !option.isBlank()).toList(),
                        System.out).run(
                        Stream.of(options.getOrDefault("redemptions-per-second", "50,100,500").split(","))
                                .map(Integer::parseInt).toList(),
                        Integer.parseInt(options.getOrDefault("duration", "60")),
                        Integer.parseInt(options.getOrDefault("warm-up", "60"))));
                default -> throw new IllegalStateException(benchmark);
            }
        }
        Path json = report.write(docs.resolve("benchmark-runs"));
        BenchmarksDocument.regenerate(docs);
        System.out.printf("%nResults: %s; summary in %s%n", json, docs.resolve("benchmarks.md"));
        System.exit(0);
    }

    private static KraftBroker broker(Path directory) {
        return KraftBroker.start(directory.resolve("kafka"),
                KraftBroker.Node.single(ServiceProcess.freePort(), ServiceProcess.freePort()));
    }

    private static Path fresh(Path directory) {
        try {
            if (Files.exists(directory)) {
                try (var paths = Files.walk(directory)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
            return Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
