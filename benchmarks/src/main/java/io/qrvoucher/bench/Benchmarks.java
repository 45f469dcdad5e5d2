package io.qrvoucher.bench;

import java.nio.file.Path;
import java.util.List;

import io.qrvoucher.broker.KraftBroker;
import io.qrvoucher.launcher.Directories;
import io.qrvoucher.ports.FreePorts;
import io.qrvoucher.voucher.streams.ExpiryWork;

/**
 * Runs the benchmarks named on the command line ({@code all} by default) and writes their results:
 * a JSON file per run under {@code docs/benchmark-runs/}, and {@code docs/benchmarks.md} with its
 * chart made anew from the latest result of each benchmark.
 *
 * <pre>
 * ./bench.sh report    (only makes the document and chart anew from the stored runs)
 * ./bench.sh peer-report   (only makes the side-by-side with the peer anew from the latest race: PeerRaceDocument)
 * ./bench.sh [all | qr expiry topology ledger e2e] [--records=400000] [--rounds=5] [--partitions=3]
 *            [--ledger-commands=20000] [--ledger-accounts=100] [--redemptions-per-second=50,100,150,200,500] [--duration=60]
 *            [--warm-up=180] [--service-jvm=-XX:+UseSerialGC] [--voucher.commit-interval=100ms ...]
 * </pre>
 * Options starting with {@code --voucher.} configure voucher-streams, and options starting with
 * {@code --ledger.} or {@code --spring.} the ledger adapter, in the benchmarks that run them.
 */
public final class Benchmarks {

    static final List<String> ALL = List.of("qr", "expiry", "topology", "ledger", "e2e");

    private Benchmarks() {
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).equals(List.of("report"))) {
            BenchmarksDocument.regenerate(Path.of("docs"));
            return;
        }
        if (List.of(args).equals(List.of("peer-report"))) {
            PeerRaceDocument.regenerate(Path.of("docs"));
            return;
        }
        CommandLine command = CommandLine.parse(ALL, args);
        Path work = Path.of("target", "bench");
        Path docs = Path.of(command.text("docs", "docs"));
        int partitions = command.integer("partitions", 3);
        RunReport report = RunReport.start(Machine.describe(), command.options(), command.voucherStreams(),
                command.ledgerAdapter());

        for (String benchmark : command.benchmarks()) {
            System.out.printf("%n== %s ==%n", benchmark);
            Path directory = Directories.fresh(work.resolve(benchmark));
            report.put(benchmark, switch (benchmark) {
                case "qr" -> QrThroughput.run(command.integer("qr-seconds", 2));
                case "expiry" -> ExpiryWork.run(directory, command.integer("live", 1_000_000),
                        command.integer("due", 100_000), System.out);
                case "topology" -> {
                    try (KraftBroker broker = broker(directory)) {
                        yield new TopologyThroughput(broker.bootstrapServers(), directory.resolve("state"), partitions,
                                command.voucherStreams(), System.out)
                                .run(command.integer("records", 400_000), command.integer("rounds", 5));
                    }
                }
                case "ledger" -> {
                    try (KraftBroker broker = broker(directory)) {
                        yield new LedgerThroughput(broker.bootstrapServers(), directory, partitions,
                                command.integer("ledger-accounts", 100), command.ledgerAdapter(), System.out)
                                .run(command.integer("ledger-commands", 20_000), List.of(1, 2));
                    }
                }
                case "e2e" -> new EndToEnd(directory, partitions, command.voucherStreams(), command.ledgerAdapter(),
                        command.list("service-jvm", "-XX:+UseSerialGC", " "), System.out)
                        .run(command.list("redemptions-per-second", "50,100,150,200,500", ",").stream()
                                        .map(Integer::parseInt).toList(),
                                command.integer("duration", 60), command.integer("warm-up", 180));
                default -> throw new IllegalStateException(benchmark);
            });
        }
        Path json = report.write(docs.resolve("benchmark-runs"));
        BenchmarksDocument.regenerate(docs);
        System.out.printf("%nResults: %s; summary in %s%n", json, docs.resolve("benchmarks.md"));
        System.exit(0);
    }

    private static KraftBroker broker(Path directory) {
        return KraftBroker.start(directory.resolve("kafka"),
                KraftBroker.Node.single(FreePorts.next(), FreePorts.next()));
    }
}
