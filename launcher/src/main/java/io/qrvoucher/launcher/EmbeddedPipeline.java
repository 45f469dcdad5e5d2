package io.qrvoucher.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;

import io.qrvoucher.broker.KraftBroker;
import io.qrvoucher.ingress.IngressApplication;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.support.reads.ColocatedOwners;
import io.qrvoucher.support.reads.LedgerReads;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import io.qrvoucher.voucher.app.VoucherStreamsApplication;
import io.qrvoucher.webhook.WebhookDeliveryApplication;

/**
 * The whole pipeline on one machine: a real single-node KRaft broker, a real PostgreSQL (the ledger's
 * database and the webhook delivery's), the topics, and the four services through their production entry
 * points, all under one data folder that survives restarts. Demo customers alice, bob and carol are seeded;
 * webhook endpoints may be {@code http} and on this machine (a demo's receiver).
 *
 * <pre>
 * java -jar launcher/target/launcher-*-exec.jar [--data-dir=data] [--reset] [--http-port=8080] [--management-port=8083]
 *      [--ledger-port=8081] [--ledger-management-port=8084] [--streams-port=8082] [--streams-management-port=8087]
 *      [--webhook-port=8085]
 *      [--webhook-management-port=8086] [--kafka-port=9092] [--controller-port=9093] [--postgres-port=54329]
 *      [--partitions=3 (a new data folder's; then the count its topics have)] [--load-customers=0]
 * </pre>
 */
public final class EmbeddedPipeline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPipeline.class);

    private static final String QUIET = "--spring.main.banner-mode=off";
    private static final String EVENT_LOOPS = "reactor.netty.ioWorkerCount";
    private static final String LOGGING_HOOK = "logging.register-shutdown-hook";
    /** Where the services listen unless told otherwise: this machine only, since anyone may sign in here as anyone. */
    private static final String LOOPBACK = "127.0.0.1";
    /** Where --bind may have the services listen: anywhere else, they would not reach one another at localhost. */
    private static final Set<String> LISTENING_ADDRESSES = Set.of(LOOPBACK, "0.0.0.0");
    /** The run's keys, in its data folder: also what marks a folder as a run's, for --reset. */
    private static final String SECRETS = "secrets.properties";
    private static final String KAFKA = "kafka";
    private static final String POSTGRES = "postgres";
    private static final String VOUCHER_STREAMS = "voucher-streams";
    /** The data folders runs of this process hold. */
    private static final Set<Path> FOLDERS_HELD_HERE = ConcurrentHashMap.newKeySet();
    /** The file a run holds locked while it runs. */
    private static final String LOCK = "run.lock";
    /** Everything a run keeps in its data folder. */
    private static final Set<String> RUN_ENTRIES = Set.of(SECRETS, KAFKA, POSTGRES, VOUCHER_STREAMS);
    /** --partitions when not given: the count the data folder's topics have, {@value #NEW_FOLDER_PARTITIONS} for new ones. */
    private static final int AS_THE_FOLDER_HAS = 0;
    private static final int NEW_FOLDER_PARTITIONS = 3;

    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private boolean closed;
    /** The run's hold on its data folder, released last. */
    private AutoCloseable folder;
    private final CountDownLatch startEnded = new CountDownLatch(1);
    private final Options options;
    private String bootstrapServers;
    private Secrets secrets;

    private EmbeddedPipeline(Options options) {
        this.options = options;
    }

    /**
     * Where the data lives and the ports the pipeline listens on; {@code managementPort} is the ingress's
     * actuator, apart from its API, {@code ledgerManagementPort} the ledger adapter's, {@code streamsManagementPort}
     * voucher-streams', {@code webhookPort} the
     * webhook delivery's internal API and {@code webhookManagementPort} its actuator; {@code loadCustomers}
     * the load-payer/load-payee customers seeded beside the demo's, for load tests; {@code partitions} the topics'
     * count, 0 for the count the folder's topics have ({@value #NEW_FOLDER_PARTITIONS} in a new folder); {@code bind} the address the
     * services' HTTP servers listen on (this machine only by default: the demo's {@code /dev/token} signs anyone in
     * as any customer). Kafka and PostgreSQL listen on this machine only, always.
     */
    public record Options(Path dataDir, boolean reset, int httpPort, int managementPort, int ledgerPort,
                          int ledgerManagementPort, int streamsPort, int streamsManagementPort, int webhookPort,
                          int webhookManagementPort,
                          int kafkaPort, int controllerPort, int postgresPort, int partitions, int loadCustomers,
                          String bind) {

        private static final Map<String, String> DEFAULTS = Map.ofEntries(Map.entry("--data-dir", "data"),
                Map.entry("--bind", LOOPBACK),
                Map.entry("--http-port", "8080"), Map.entry("--management-port", "8083"), Map.entry("--ledger-port", "8081"),
                Map.entry("--ledger-management-port", "8084"), Map.entry("--streams-port", "8082"),
                Map.entry("--streams-management-port", "8087"),
                Map.entry("--webhook-port", "8085"), Map.entry("--webhook-management-port", "8086"),
                Map.entry("--kafka-port", "9092"), Map.entry("--controller-port", "9093"),
                Map.entry("--postgres-port", "54329"), Map.entry("--partitions", String.valueOf(AS_THE_FOLDER_HAS)), Map.entry("--load-customers", "0"));

        public static Options parse(String... args) {
            Map<String, String> given = new HashMap<>(DEFAULTS);
            boolean reset = false;
            for (String arg : args) {
                String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                if (arg.equals("--reset")) {
                    reset = true;
                } else if (name.equals("--partitions") && arg.contains("=")
                        && Integer.parseInt(arg.substring(arg.indexOf('=') + 1)) < 1) {
                    throw new IllegalArgumentException("--partitions is at least 1, not " + arg.substring(arg.indexOf('=') + 1));
                } else if (DEFAULTS.containsKey(name) && arg.contains("=")) {
                    given.put(name, arg.substring(arg.indexOf('=') + 1));
                } else {
                    throw new IllegalArgumentException("Unknown option " + arg + "; the options are --reset and "
                            + new TreeSet<>(DEFAULTS.keySet()) + " with =value");
                }
            }
            String bind = given.get("--bind");
            if (!LISTENING_ADDRESSES.contains(bind)) {
                throw new IllegalArgumentException("--bind is " + LOOPBACK + " (this machine only) or 0.0.0.0 (every "
                        + "interface), not " + bind + ": the services call one another at localhost");
            }
            Options options = new Options(Path.of(given.get("--data-dir")), reset, port(given, "--http-port"),
                    port(given, "--management-port"), port(given, "--ledger-port"),
                    port(given, "--ledger-management-port"), port(given, "--streams-port"),
                    port(given, "--streams-management-port"), port(given, "--webhook-port"),
                    port(given, "--webhook-management-port"), port(given, "--kafka-port"),
                    port(given, "--controller-port"), port(given, "--postgres-port"),
                    Integer.parseInt(given.get("--partitions")), Integer.parseInt(given.get("--load-customers")),
                    bind);
            Map<Integer, String> optionOfPort = new HashMap<>();
            options.ports().forEach((option, port) -> {
                String other = optionOfPort.putIfAbsent(port, option);
                if (other != null) {
                    throw new IllegalArgumentException("Port " + port + " is given twice, to " + other + " and "
                            + option + ": give each its own");
                }
            });
            return options;
        }

        /** The ports the run listens on, by option. */
        Map<String, Integer> ports() {
            Map<String, Integer> ports = new LinkedHashMap<>();
            ports.put("--http-port", httpPort);
            ports.put("--management-port", managementPort);
            ports.put("--ledger-port", ledgerPort);
            ports.put("--ledger-management-port", ledgerManagementPort);
            ports.put("--streams-port", streamsPort);
            ports.put("--streams-management-port", streamsManagementPort);
            ports.put("--webhook-port", webhookPort);
            ports.put("--webhook-management-port", webhookManagementPort);
            ports.put("--kafka-port", kafkaPort);
            ports.put("--controller-port", controllerPort);
            ports.put("--postgres-port", postgresPort);
            return ports;
        }

        /** Whether the services listen for other machines too, where anyone can sign in as anyone (/dev/token). */
        boolean reachableFromOtherMachines() {
            return !bind.equals(LOOPBACK);
        }

        private static int port(Map<String, String> given, String name) {
            return Integer.parseInt(given.get(name));
        }
    }

    public static void main(String[] args) throws InterruptedException {
        // Four services share this process's cores, so its HTTP servers and clients share one event loop a core
        // (Reactor Netty's default, at least four, is for a server with the machine to itself: docs/benchmarks.md,
        // tuning log). Read once, when Reactor Netty first loads: set before anything starts.
        if (System.getProperty(EVENT_LOOPS) == null) {
            System.setProperty(EVENT_LOOPS, Integer.toString(Runtime.getRuntime().availableProcessors()));
        }
        // The pipeline's own hook stops the services and logs it; Spring's hook for its logging would stop the logging
        // at the same time, so that what the services say as they stop was lost.
        if (System.getProperty(LOGGING_HOOK) == null) {
            System.setProperty(LOGGING_HOOK, "false");
        }
        EmbeddedPipeline pipeline = new EmbeddedPipeline(Options.parse(args));
        CountDownLatch stopped = new CountDownLatch(1);
        // Before anything starts: a Ctrl-C while the services start stops what has started, in order, instead of
        // leaving the broker and the database to die with the process.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            pipeline.stopWhileStarting();
            stopped.countDown();
        }, "pipeline-shutdown"));
        try {
            pipeline.startOrClose();
        } catch (RuntimeException e) {
            if (pipeline.isClosed()) {
                return; // stopped (Ctrl-C) while it started: nothing went wrong
            }
            throw e;
        }
        System.out.print(pipeline.welcome());
        stopped.await();
    }

    public static EmbeddedPipeline start(Options options) {
        EmbeddedPipeline pipeline = new EmbeddedPipeline(options);
        pipeline.startOrClose();
        return pipeline;
    }

    private void startOrClose() {
        try {
            startAll();
        } catch (RuntimeException e) {
            startEnded.countDown(); // before close(), which releases the folder only once no part is starting
            close();
            throw e;
        } finally {
            startEnded.countDown();
        }
    }

    /**
     * Stops what has started and waits for a start under way to end, which stops what it starts from now on: the
     * process must not end with a part still starting (a PostgreSQL server would outlive it).
     */
    private void stopWhileStarting() {
        close();
        try {
            if (!startEnded.await(2, TimeUnit.MINUTES)) {
                log.warn("The pipeline was still starting two minutes after it was asked to stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close(); // what the start kept meanwhile, and the folder
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Keeps what started, to be stopped with the rest; if the pipeline was stopped meanwhile, stops it at once. */
    private synchronized void keep(AutoCloseable started) {
        if (closed) {
            closeQuietly(started);
            throw new IllegalStateException("The pipeline was stopped while it started");
        }
        running.push(started);
    }

    private void startAll() {
        Path data = options.dataDir().toAbsolutePath().normalize();
        if (options.reset()) {
            requireARunsFolder(data);
        }
        holdFolder(data);
        if (options.reset()) {
            wipe(data);
        }
        // Held by this run, the folder has no other live run: a server on its database is a killed run's, whose port
        // it holds, and this run's to stop.
        LedgerDatabase.stopLeftOver(data.resolve(POSTGRES));
        requirePortsFree();
        log.info("Starting the pipeline with its data under {}", data);
        secrets = Secrets.loadOrCreate(data.resolve(SECRETS));

        KraftBroker broker = KraftBroker.start(data.resolve(KAFKA),
                KraftBroker.Node.single(options.kafkaPort(), options.controllerPort()));
        keep(broker);
        bootstrapServers = broker.bootstrapServers();
        PipelineTopics.create(bootstrapServers, partitions(), (short) 1);

        LedgerDatabase database = new LedgerDatabase(data.resolve(POSTGRES), options.postgresPort(),
                secrets.databaseSuperuserPassword()).start();
        keep(database);

        ConfigurableApplicationContext ledger = LedgerAdapterApplication.builder().profiles("demo").registerShutdownHook(false).run(
                ServiceArguments.with(ServiceArguments.ledgerAdapter(bootstrapServers, secrets, database),
                        "--server.port=" + options.ledgerPort(), "--management.server.port=" + options.ledgerManagementPort(),
                        "--server.address=" + options.bind(), "--management.server.address=" + options.bind(),
                        "--ledger.admin.password=" + secrets.ledgerAdminPassword(),
                        "--ledger.demo.load-customers=" + options.loadCustomers(), QUIET));
        keep(ledger::close);
        WebhookDatabase webhooks = WebhookDatabase.in(database);
        keep(WebhookDeliveryApplication.builder().registerShutdownHook(false).run(
                ServiceArguments.with(ServiceArguments.webhookDelivery(bootstrapServers, secrets, webhooks),
                        "--server.port=" + options.webhookPort(), "--management.server.port=" + options.webhookManagementPort(),
                        "--server.address=" + options.bind(), "--management.server.address=" + options.bind(),
                        // A demo's receivers listen on this machine, without a certificate.
                        "--webhook.endpoints.allow-local-http=true", QUIET))::close);
        ConfigurableApplicationContext streams = VoucherStreamsApplication.builder().registerShutdownHook(false).run(
                ServiceArguments.with(ServiceArguments.voucherStreams(bootstrapServers, secrets, data.resolve(VOUCHER_STREAMS),
                        options.streamsPort()), "--server.port=" + options.streamsPort(), "--server.address=" + options.bind(),
                        "--management.server.port=" + options.streamsManagementPort(),
                        "--management.server.address=" + options.bind(),
                        "--voucher.instance-id=embedded",
                        QUIET));
        keep(streams::close);
        // In one process the ingress reads the stores and the ledger with method calls, not HTTP to itself.
        ColocatedOwners colocated = new ColocatedOwners(
                Map.of(URI.create(ServiceArguments.localUrl(options.streamsPort())), streams.getBean(VoucherStreamsReads.class)),
                Map.of(URI.create(ServiceArguments.localUrl(options.ledgerPort())), ledger.getBean(LedgerReads.class)));
        ConfigurableApplicationContext ingress = IngressApplication.builder().registerShutdownHook(false)
                .initializers(context -> context.getBeanFactory().registerSingleton("colocatedOwners", colocated)).run(
                ServiceArguments.with(ServiceArguments.ingress(bootstrapServers, secrets,
                        new int[] {options.ledgerPort()}, options.streamsPort()),
                        ServiceArguments.ingressWebhooks(options.webhookPort()),
                        "--server.port=" + options.httpPort(), "--management.server.port=" + options.managementPort(),
                        "--server.address=" + options.bind(), "--management.server.address=" + options.bind(),
                        QUIET));
        keep(ingress::close);
        awaitRunning(streams.getBean(KafkaStreams.class));
    }

    /**
     * Refuses to start, naming the option, when a port is taken: found out only as the service of that
     * port started, it would fail the start half-way, after the broker and the database, with the server's own words.
     */
    private void requirePortsFree() {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (Map.Entry<String, Integer> port : options.ports().entrySet()) {
                String address = port.getKey().equals("--kafka-port") || port.getKey().equals("--controller-port")
                        || port.getKey().equals("--postgres-port") ? LOOPBACK : options.bind();
                try {
                    held.add(new ServerSocket(port.getValue(), 50, InetAddress.getByName(address)));
                } catch (IOException e) {
                    throw new IllegalStateException("Port " + port.getValue() + " (" + port.getKey() + ") is taken on "
                            + address + " (" + e.getMessage() + "): stop what listens there, or give another with "
                            + port.getKey(), e);
                }
            }
        } finally {
            held.forEach(EmbeddedPipeline::closeQuietly);
        }
    }

    /**
     * The partition count of the run's topics: as given, or as the folder's topics have (which a count given
     * must match: {@link PipelineTopics#create}).
     */
    private int partitions() {
        if (options.partitions() != AS_THE_FOLDER_HAS) {
            return options.partitions();
        }
        return PipelineTopics.partitionCounts(bootstrapServers).getOrDefault(Topics.VOUCHER_REQUESTS,
                NEW_FOLDER_PARTITIONS);
    }

    /**
     * Refuses to empty a folder that is not a run's: one that is not empty must hold a run's keys and nothing a run
     * does not keep there (a mistyped {@code --data-dir=.}, say, even one a run has already used, or a folder of some
     * other {@code postgres/}, is left alone).
     */
    private static void requireARunsFolder(Path data) {
        try (Stream<Path> entries = Files.exists(data) ? Files.list(data) : Stream.empty()) {
            List<String> names = entries.map(entry -> entry.getFileName().toString()).filter(name -> !name.equals(LOCK))
                    .sorted().toList();
            List<String> others = names.stream().filter(name -> !RUN_ENTRIES.contains(name)).toList();
            if (!names.isEmpty() && !names.contains(SECRETS)) {
                throw new IllegalArgumentException("--reset wipes a pipeline's data folder only, and " + data
                        + " has no " + SECRETS + ": not wiped. Name the run's folder with --data-dir");
            }
            if (!others.isEmpty()) {
                throw new IllegalArgumentException("--reset wipes a pipeline's data folder only, and " + data
                        + " holds what no run keeps there (" + String.join(", ", others.subList(0, Math.min(3,
                        others.size()))) + (others.size() > 3 ? ", …" : "") + "): not wiped. Name the run's folder "
                        + "with --data-dir");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Holds the folder for the life of the run (released when it stops, or when its process dies however it dies): a
     * second run on it is refused before it touches anything, the first run's database above all. Runs in this process
     * are told apart before the file is opened: closing any channel of a file releases the process's lock on it.
     */
    private synchronized void holdFolder(Path data) {
        if (closed) {
            throw new IllegalStateException("The pipeline was stopped while it started");
        }
        if (!FOLDERS_HELD_HERE.add(data)) {
            throw anotherRun(data);
        }
        try {
            Files.createDirectories(data);
            FileChannel channel = FileChannel.open(data.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                if (channel.tryLock() == null) {
                    throw anotherRun(data);
                }
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            folder = () -> {
                try {
                    channel.close();
                } finally {
                    FOLDERS_HELD_HERE.remove(data);
                }
            };
        } catch (IOException e) {
            FOLDERS_HELD_HERE.remove(data);
            throw new UncheckedIOException("Cannot lock " + data.resolve(LOCK) + " (a folder whose file system locks no "
                    + "files cannot hold a run's data)", e);
        } catch (RuntimeException e) {
            FOLDERS_HELD_HERE.remove(data);
            throw e;
        }
    }

    private static IllegalStateException anotherRun(Path data) {
        return new IllegalStateException("Another run is using " + data + ": stop it, or give this one another --data-dir");
    }

    /** Empties the run's folder, but for its lock: a server a killed run left running on its database is stopped first. */
    private static void wipe(Path data) {
        LedgerDatabase.stopLeftOver(data.resolve(POSTGRES));
        try (Stream<Path> entries = Files.list(data)) {
            entries.filter(entry -> !entry.getFileName().toString().equals(LOCK)).forEach(Directories::delete);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ready when the topology runs: its stores, which answer the ingress's reads, are restored. */
    private static void awaitRunning(KafkaStreams topology) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (topology.state() != KafkaStreams.State.RUNNING) {
            if (!topology.state().isRunningOrRebalancing() && topology.state() != KafkaStreams.State.CREATED) {
                throw new IllegalStateException("The voucher topology stopped while it started (" + topology.state()
                        + "): its log says why");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The voucher topology did not restore its stores within 2 minutes");
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String apiUrl() {
        return "http://localhost:" + options.httpPort();
    }

    /** The ingress's actuator: health, metrics. */
    public String managementUrl() {
        return "http://localhost:" + options.managementPort();
    }

    /** The ledger adapter's actuator and the operators' admin API ({@code /admin/accounts}). */
    public String ledgerManagementUrl() {
        return "http://localhost:" + options.ledgerManagementPort();
    }

    /** voucher-streams' actuator. */
    public String streamsManagementUrl() {
        return "http://localhost:" + options.streamsManagementPort();
    }

    /** The webhook delivery's actuator. */
    public String webhookManagementUrl() {
        return "http://localhost:" + options.webhookManagementPort();
    }

    /** The webhook delivery's internal API, which the ingress calls. */
    public String webhookUrl() {
        return "http://localhost:" + options.webhookPort();
    }

    /** The run's keys and passwords, kept in its data folder. */
    public Secrets secrets() {
        return secrets;
    }

    /** Says where everything is; keys and passwords stay in the data folder, out of terminals' scrollback and logs. */
    String welcome() {
        String api = apiUrl();
        Path secretsFile = options.dataDir().toAbsolutePath().resolve(SECRETS);
        // In single quotes for the shell: a quote in the path closes them, is escaped, and opens them again.
        String quotedSecretsFile = "'" + secretsFile.toString().replace("'", "'\\''") + "'";
        String welcome = """

                QR e-voucher pipeline is running (data in %s; Ctrl-C stops it, --reset wipes it).
                  API         %s/api
                  OpenAPI UI  %s/swagger-ui.html
                  Webhooks    %s/api/webhooks (endpoints may be http://localhost here, for a receiver of your own)
                  Health      %s/actuator/health (ledger-adapter :%d, voucher-streams :%d, webhook-delivery :%d;
                              metrics at /actuator/prometheus)
                  Kafka       %s
                Sign in as a demo customer (alice, bob or carol):
                  curl -s -X POST %s/dev/token -H 'Content-Type: application/json' -d '{"customerId":"alice"}'
                Open an account for a new customer as the ledger's operator (its password is in %s):
                  curl -s -u "operator:$(sed -n 's/^%s=//p' %s)" %s/admin/accounts -H 'Content-Type: application/json' -d '{"customerId":"dave","accountId":"dave-cny","currency":"CNY","openingBalance":"100.00"}'
                %n""".formatted(options.dataDir().toAbsolutePath(), api, api, api, managementUrl(),
                options.ledgerManagementPort(), options.streamsManagementPort(), options.webhookManagementPort(), bootstrapServers,
                api, secretsFile, Secrets.LEDGER_ADMIN_PASSWORD, quotedSecretsFile, ledgerManagementUrl());
        if (options.reachableFromOtherMachines()) {
            welcome += """
                    WARNING: the services listen on %s, for other machines too (--bind): anyone who reaches this one
                    can sign in as any customer at /dev/token and read its actuators. A demo on a network you trust only.
                    %n""".formatted(options.bind());
        }
        return welcome;
    }

    /** Stops everything that started, newest first; whatever starts afterwards is stopped as it starts. */
    @Override
    public synchronized void close() {
        closed = true;
        while (!running.isEmpty()) {
            closeQuietly(running.pop());
        }
        // Last, and only once no part is still starting: until then the folder is still this run's.
        if (folder != null && startEnded.getCount() == 0) {
            closeQuietly(folder);
            folder = null;
        }
    }

    private static void closeQuietly(AutoCloseable started) {
        try {
            started.close();
        } catch (Exception e) {
            log.warn("Error while stopping", e);
        }
    }
}
