package io.qrvoucher.reliability;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.qrvoucher.broker.BrokerSecurity;
import io.qrvoucher.launcher.Directories;
import io.qrvoucher.launcher.InternalCall;
import io.qrvoucher.launcher.KafkaAcls.Service;
import io.qrvoucher.launcher.KafkaAcls;
import io.qrvoucher.launcher.LedgerDatabase;
import io.qrvoucher.launcher.PipelineTopics;
import io.qrvoucher.launcher.Secrets;
import io.qrvoucher.launcher.ServiceArguments;
import io.qrvoucher.launcher.ServiceProcess;
import io.qrvoucher.ports.FreePorts;
import io.qrvoucher.support.internal.InternalApi;

/**
 * The pipeline as it runs in production, on this machine: a three-broker cluster, PostgreSQL, two
 * instances each of the ledger adapter, voucher-streams (with a standby of every task) and the ingress,
 * each service a JVM of its own. The cluster takes clients over TLS only, authenticates every client and
 * authorizes it by the pipeline's ACLs ({@link KafkaAcls}): each service logs in as its own principal, over
 * SASL_SSL, as in production.
 */
final class PipelineStack implements AutoCloseable {

    /** Partitions of every topic of the stack. */
    static final int PARTITIONS = 6;

    private final Path directory;
    private final ThreeBrokerCluster kafka;
    private final LedgerDatabase database;
    private final List<ServiceProcess> ledgers = new ArrayList<>();
    private final List<ServiceProcess> topologies = new ArrayList<>();
    private final List<ServiceProcess> ingresses = new ArrayList<>();
    private final Secrets secrets = Secrets.random();
    private final Map<Service, String> kafkaPasswords = new EnumMap<>(Service.class);
    private final BrokerSecurity security;
    private int standbyReplicas = 1;

    private PipelineStack(Path directory) {
        this.directory = directory;
        this.security = BrokerSecurity.scramOverTls(directory.resolve("tls"));
        this.kafka = ThreeBrokerCluster.start(directory, security);
        PipelineTopics.create(kafka.adminConfig(), PARTITIONS, (short) 3);
        for (Service service : Service.values()) {
            kafkaPasswords.put(service, BrokerSecurity.randomPassword());
        }
        BrokerSecurity.createUsers(kafka.adminConfig(), kafkaPasswords.entrySet().stream()
                .collect(Collectors.toMap(entry -> entry.getKey().user(), Map.Entry::getValue)));
        BrokerSecurity.addAcls(kafka.adminConfig(), KafkaAcls.all());
        this.database = new LedgerDatabase(directory.resolve("postgres"), FreePorts.next()).start();
        for (int i = 1; i <= 2; i++) {
            ledgers.add(new ServiceProcess("ledger-adapter-" + i, "io.qrvoucher.ledger.LedgerAdapterApplication",
                    FreePorts.next(), FreePorts.next(), logs(), ServiceProcess.TEST_JVM, List.of(ServiceArguments.with(
                    loggedIn(Service.LEDGER_ADAPTER, ServiceArguments.ledgerAdapter(kafka.bootstrapServers(), secrets, database)),
                    "--spring.profiles.active=demo", "--ledger.retry.max-interval=1s"))));
            topologies.add(topology(i, FreePorts.next(), FreePorts.next(), standbyReplicas));
        }
        for (int i = 1; i <= 2; i++) {
            ingresses.add(new ServiceProcess("ingress-api-" + i, "io.qrvoucher.ingress.IngressApplication",
                    FreePorts.next(), FreePorts.next(), logs(), ServiceProcess.TEST_JVM, List.of(ServiceArguments.with(
                    loggedIn(Service.INGRESS, ServiceArguments.ingress(kafka.bootstrapServers(), secrets,
                            ledgers.stream().mapToInt(ServiceProcess::port).toArray(),
                            topologies.stream().mapToInt(ServiceProcess::port).toArray())),
                    "--ingress.limits.wrong-codes-per-window=1000"))));
        }
        try {
            startServices();
        } catch (RuntimeException e) {
            // Nothing may outlive a stack that did not start: a later attempt would start on top of it.
            close();
            throw e;
        }
    }

    private ServiceProcess topology(int instance, int port, int managementPort, int standbyReplicas) {
        return new ServiceProcess("voucher-streams-" + instance, "io.qrvoucher.voucher.app.VoucherStreamsApplication",
                port, managementPort, logs(), ServiceProcess.TEST_JVM, List.of(ServiceArguments.with(
                loggedIn(Service.VOUCHER_STREAMS, ServiceArguments.voucherStreams(kafka.bootstrapServers(), secrets,
                        directory.resolve("voucher-streams-" + instance), port)),
                "--voucher.instance-id=voucher-streams-" + instance, "--voucher.replication-factor=3",
                "--voucher.standby-replicas=" + standbyReplicas, "--voucher.commit-interval=50ms",
                // Vouchers without an end of their own last past the bank's next midnight, which a run may cross.
                "--voucher.policy.default-validity-days=2", "--voucher.policy.max-validity-days=2")));
    }

    /**
     * Gives every voucher-streams task this many standbys, restarting both instances one at a time if they have
     * another number (a restart each costs most of a minute of a run, so it is done only when needed).
     */
    void useStandbys(int replicas) {
        if (replicas == standbyReplicas) {
            return;
        }
        standbyReplicas = replicas;
        for (int i = 0; i < topologies.size(); i++) {
            ServiceProcess old = topologies.get(i);
            old.stop();
            ServiceProcess restarted = topology(i + 1, old.port(), old.managementPort(), replicas);
            topologies.set(i, restarted);
            restarted.start().awaitReady();
        }
    }

    /** A service's arguments and its login to the cluster, the Spring Boot way, as its own principal. */
    private List<String> loggedIn(Service service, List<String> arguments) {
        List<String> loggedIn = new ArrayList<>(arguments);
        loggedIn.addAll(security.springArguments(service.user(), kafkaPasswords.get(service)));
        return loggedIn;
    }

    static PipelineStack start(Path directory) {
        return new PipelineStack(directory);
    }

    /** One at a time: two cores do not start five JVMs at once gracefully. */
    private void startServices() {
        ledgers.forEach(ledger -> ledger.start().awaitReady());
        topologies.forEach(topology -> topology.start().awaitReady());
        ingresses.forEach(ingress -> ingress.start().awaitReady());
    }

    /** Where the ingress instances answer, to be called at random. */
    List<String> apiUrls() {
        return ingresses.stream().map(ingress -> "http://localhost:" + ingress.port()).toList();
    }

    /** A client of the cluster logged in as an operator, whom no ACL restricts. */
    Map<String, Object> adminConfig() {
        return kafka.adminConfig();
    }

    ThreeBrokerCluster kafka() {
        return kafka;
    }

    LedgerDatabase database() {
        return database;
    }

    ServiceProcess topology(int instance) {
        return topologies.get(instance - 1);
    }

    /**
     * Waits (bounded) until every partition of voucher-requests has a standby on some voucher-streams
     * instance, as the instances' routing says: a fault injected before that finds no warm copy to read from.
     */
    void awaitStandbyOfEveryPartition(int partitions) {
        Awaitility.await("a standby of every partition").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    HttpResponse<String> routing = InternalCall.get(URI.create(
                            "http://localhost:" + topologies.get(0).port() + "/internal/routing"),
                            secrets.internalCallee(InternalApi.VOUCHER_STREAMS));
                    Set<Integer> standbys = new HashSet<>();
                    for (JsonNode instance : JsonMapper.shared().readTree(routing.body()).path("instances")) {
                        instance.path("standby").path("voucher-requests").forEach(partition -> standbys.add(partition.asInt()));
                    }
                    return routing.statusCode() == 200 && standbys.size() == partitions;
                });
    }

    ServiceProcess ledger(int instance) {
        return ledgers.get(instance - 1);
    }

    /** Stops every service and the database and the brokers, then starts them all again from their data. */
    void restartEverything() {
        ingresses.forEach(ServiceProcess::stop);
        topologies.forEach(ServiceProcess::stop);
        ledgers.forEach(ServiceProcess::stop);
        database.stop();
        kafka.restartAll();
        database.start();
        startServices();
    }

    /**
     * Ends everything fast, as the test JVM exits: the service JVMs are killed (they must not outlive
     * the tests), then the database and the brokers stop.
     */
    @Override
    public void close() {
        ingresses.forEach(ServiceProcess::kill);
        topologies.forEach(ServiceProcess::kill);
        ledgers.forEach(ServiceProcess::kill);
        database.close();
        kafka.close();
    }

    private Path logs() {
        return directory.resolve("logs");
    }

    /** A fresh folder for a stack: a run must not find the balances an earlier run left. */
    static Path directoryFor(String name) {
        return Directories.fresh(Path.of("target", "reliability", name));
    }
}
