package io.qrvoucher.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import io.qrvoucher.launcher.LedgerDatabase;
import io.qrvoucher.launcher.Secrets;
import io.qrvoucher.launcher.ServiceArguments;
import io.qrvoucher.launcher.ServiceProcess;
import io.qrvoucher.ports.FreePorts;

/**
 * The whole pipeline on this machine, driven over HTTP: a KRaft broker, PostgreSQL, and one
 * instance each of ledger-adapter, voucher-streams and ingress-api, every one a process of its own
 * so that its CPU and memory are measured on their own. The load generator runs in this JVM, on the
 * same two cores, and is measured too.
 *
 * <p>Phases: a closed-loop warm-up (not measured); closed loop at saturation, for the most the
 * pipeline completes; then each offered rate in turn, for latency.
 */
final class EndToEnd {

    record Result(int partitions, Map<String, String> voucherStreams, Map<String, String> ledgerAdapter,
                  List<String> serviceJvm, String mix, int saturationConcurrency,
                  LifecycleLoad.Phase saturation, List<LifecycleLoad.Phase> offered,
                  LifecycleLoad.Expiries expiries, List<ServiceMeter.Usage> usage) {
    }

    private static final int SATURATION_CONCURRENCY = 256;
    /** Heap of every service JVM; other options come from {@code --service-jvm}. */
    private static final List<String> SERVICE_HEAP = List.of("-Xms256m", "-Xmx512m");

    private final Path directory;
    private final int partitions;
    private final Map<String, String> voucherOverrides;
    private final Map<String, String> ledgerOverrides;
    private final List<String> serviceJvm;
    private final PrintStream out;

    /** @param serviceJvmOptions JVM options of the services, after the heap settings */
    EndToEnd(Path directory, int partitions, Map<String, String> voucherOverrides, Map<String, String> ledgerOverrides,
             List<String> serviceJvmOptions, PrintStream out) {
        this.directory = directory;
        this.partitions = partitions;
        this.voucherOverrides = Map.copyOf(voucherOverrides);
        this.ledgerOverrides = Map.copyOf(ledgerOverrides);
        this.serviceJvm = Stream.concat(SERVICE_HEAP.stream(), serviceJvmOptions.stream()).toList();
        this.out = out;
    }

    /** @param redemptionsPerSecond the offered rates, one open-loop phase each, in this order */
    Result run(List<Integer> redemptionsPerSecond, int durationSeconds, int warmUpSeconds) {
        Path logs = directory.resolve("logs");
        int kafkaPort = FreePorts.next();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        List<ServiceProcess> services = new ArrayList<>();
        ServiceProcess broker = new ServiceProcess("kafka", BrokerMain.class.getName(), kafkaPort, logs, serviceJvm,
                List.of("--controller-port=" + FreePorts.next(), "--data-dir=" + directory.resolve("kafka"),
                        "--partitions=" + partitions));
        services.add(broker);
        try (LedgerDatabase database = new LedgerDatabase(directory.resolve("postgres"), FreePorts.next()).start()) {
            out.println("starting the broker, PostgreSQL and the services");
            broker.start();
            awaitLine(logs.resolve("kafka.log"), "Broker ready", broker);
            Secrets secrets = Secrets.random();
            List<String> ledgerArguments = new ArrayList<>(ServiceArguments.ledgerAdapter(bootstrap, secrets, database));
            ledgerArguments.add("--spring.profiles.active=demo");
            ledgerOverrides.forEach((name, value) -> ledgerArguments.add("--" + name + "=" + value));
            ServiceProcess ledger = new ServiceProcess("ledger-adapter", "io.qrvoucher.ledger.LedgerAdapterApplication",
                    FreePorts.next(), FreePorts.next(), logs, serviceJvm, ledgerArguments);
            int streamsPort = FreePorts.next();
            List<String> streamsArguments = new ArrayList<>(
                    ServiceArguments.voucherStreams(bootstrap, secrets, directory.resolve("voucher-streams"), streamsPort));
            voucherOverrides.forEach((name, value) -> streamsArguments.add("--" + name + "=" + value));
            ServiceProcess streams = new ServiceProcess("voucher-streams", "io.qrvoucher.voucher.app.VoucherStreamsApplication",
                    streamsPort, FreePorts.next(), logs, serviceJvm, streamsArguments);
            List<String> ingressArguments = new ArrayList<>(
                    ServiceArguments.ingress(bootstrap, secrets, new int[] {ledger.port()}, streamsPort));
            // The closed loop measures what the pipeline completes with this many lifecycles in flight, not
            // the ingress's admission limits (all of them alice's); the race against the peer measures the limits
            // as shipped, with a payer per worker.
            ingressArguments.add("--ingress.limits.max-in-flight-writes=" + SATURATION_CONCURRENCY);
            ingressArguments.add("--ingress.limits.max-in-flight-writes-per-customer=" + SATURATION_CONCURRENCY);
            ServiceProcess ingress = new ServiceProcess("ingress-api", "io.qrvoucher.ingress.IngressApplication",
                    FreePorts.next(), FreePorts.next(), logs, serviceJvm, ingressArguments);
            for (ServiceProcess service : List.of(ledger, streams, ingress)) {
                services.add(service);
                service.start().awaitReady();
            }
            String api = "http://localhost:" + ingress.port();
            LifecycleLoad load = new LifecycleLoad(api, LifecycleLoad.signIn(api, List.of("alice", "bob", "carol"), "alice"));

            List<ServiceMeter> meters = new ArrayList<>();
            services.forEach(service -> meters.add(new ServiceMeter(service.name(), () -> List.of(service.handle()))));
            List<ProcessHandle> postgres = postgresServer(directory.resolve("postgres"));
            meters.add(new ServiceMeter("postgresql", () -> postgres.stream()
                    .flatMap(server -> Stream.concat(Stream.of(server), server.descendants())).distinct().toList()));
            meters.add(new ServiceMeter("load generator", () -> List.of(ProcessHandle.current())));

            load.closedLoop("warm-up", SATURATION_CONCURRENCY, Duration.ofSeconds(warmUpSeconds), false,
                    new ProgressBar(out, "warm-up"));
            meters.forEach(ServiceMeter::begin);
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(() -> meters.forEach(ServiceMeter::sample), 1, 1, TimeUnit.SECONDS);
            long measuredFrom = System.nanoTime();
            LifecycleLoad.Phase saturation = load.closedLoop("saturation", SATURATION_CONCURRENCY,
                    Duration.ofSeconds(durationSeconds / 2), true, new ProgressBar(out, "closed loop, " + SATURATION_CONCURRENCY));
            List<LifecycleLoad.Phase> offered = new ArrayList<>();
            for (int rate : redemptionsPerSecond) {
                offered.add(load.openLoop("offered " + rate + " redemptions/s", rate / LifecycleLoad.REDEEMING,
                        Duration.ofSeconds(durationSeconds), true, new ProgressBar(out, rate + " redemptions/s")));
            }
            double wall = (System.nanoTime() - measuredFrom) / 1e9;
            sampler.shutdownNow();
            List<ServiceMeter.Usage> usage = meters.stream().map(meter -> meter.end(wall)).toList();
            LifecycleLoad.Expiries expiries = load.confirmExpired();
            usage.forEach(use -> out.printf("  %-16s %6.1f CPU s  %4.2f cores  peak %,5d MiB%n", use.service(),
                    use.cpuSeconds(), use.cores(), use.peakMemoryMiB()));
            return new Result(partitions, new LinkedHashMap<>(voucherOverrides), new LinkedHashMap<>(ledgerOverrides), serviceJvm,
                    String.format("%d%% full redemption, %d%% partial, %d%% cancel, %d%% expire (%d s validity)",
                            LifecycleLoad.FULL_REDEEM, LifecycleLoad.PARTIAL_REDEEM, LifecycleLoad.CANCEL,
                            LifecycleLoad.EXPIRE, LifecycleLoad.SHORT_VALIDITY.toSeconds()),
                    SATURATION_CONCURRENCY, saturation, offered, expiries, usage);
        } finally {
            for (int i = services.size() - 1; i >= 0; i--) {
                services.get(i).stop();
            }
        }
    }

    /**
     * PostgreSQL's server process (and the wrapper it may run in), found once by the data directory
     * given to it, not at every sample; its backends are its children.
     */
    private static List<ProcessHandle> postgresServer(Path dataDirectory) {
        String data = dataDirectory.toString();
        return ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().map(line -> line.contains("postgres")
                        && line.contains(data) && !line.contains("pg_ctl")).orElse(false))
                .toList();
    }

    private static void awaitLine(Path log, String line, ServiceProcess process) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Files.exists(log) && Files.readString(log).contains(line)) {
                    return;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!process.handle().isAlive()) {
                throw new IllegalStateException(process.name() + " exited; see " + log);
            }
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
        throw new IllegalStateException(process.name() + " did not say '" + line + "' within 2 minutes; see " + log);
    }
}
