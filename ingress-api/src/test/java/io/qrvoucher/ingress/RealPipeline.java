package io.qrvoucher.ingress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;

import org.springframework.context.ConfigurableApplicationContext;

import io.qrvoucher.ports.FreePorts;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.keys.TestKeys;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.ledger.core.AccountOpening;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.voucher.app.VoucherStreamsApplication;
import io.qrvoucher.webhook.WebhookDeliveryApplication;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The pipeline behind the ingress, started once for the test run: a real KRaft broker, a real
 * PostgreSQL, the ledger adapter with the demo customers, the voucher topology and the webhook delivery,
 * each through its production entry point.
 */
public final class RealPipeline {

    /** The key of the ingress's seal on requests, which this pipeline's voucher-streams checks. */
    public static final String REQUEST_SIGNING_KEY = java.util.Base64.getEncoder()
            .encodeToString("request-signing-key-of-the-ingress-tests".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    /** The key the webhook delivery service encrypts endpoints' signing secrets with. */
    static final String WEBHOOK_SECRET_KEY = java.util.Base64.getEncoder()
            .encodeToString("webhook-secret-key-of-the-ingress-tests".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    public static final String[] TOPICS = Topics.names().toArray(String[]::new);

    /** For the applications without a database, on a classpath that has the ledger's JDBC starters. */
    public static final String NO_DATABASE = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration,"
            + "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration";
    /** For the applications without an API, on a classpath that has the ingress's security starters. */
    private static final String NO_API_SECURITY = "org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration,"
            + "org.springframework.boot.security.autoconfigure.actuate.web.reactive.ReactiveManagementWebSecurityAutoConfiguration,"
            + "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration";

    /** Every request traced and its spans kept, in every service of the tests. */
    static final String EVERY_TRACE = "--management.tracing.sampling.probability=1.0";

    private static RealPipeline running;

    private final TestBroker broker;
    private final EmbeddedPostgres postgres;
    private final ConfigurableApplicationContext ledger;
    private final ConfigurableApplicationContext streams;
    private final String streamsUrl;
    private final String ledgerUrl;
    private final ConfigurableApplicationContext webhooks;
    private final String webhooksUrl;

    private RealPipeline() throws IOException, SQLException {
        broker = TestBroker.start(3, TOPICS);
        postgres = EmbeddedPostgres.builder().setServerConfig("synchronous_commit", "on")
                .setServerConfig("fsync", "on").start();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE ledger");
            statement.execute("CREATE DATABASE webhooks");
        }
        int ledgerPort = FreePorts.next();
        ledgerUrl = "http://localhost:" + ledgerPort;
        ledger = LedgerAdapterApplication.builder().profiles("demo").sources(CapturedSpans.Export.class).run(
                "--server.port=" + ledgerPort, "--management.server.port=0", EVERY_TRACE,
                "--spring.datasource.url=" + postgres.getJdbcUrl("postgres", "ledger"),
                "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                "--spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                "--internal-api.keys.k1=" + TestKeys.LEDGER_ADAPTER_INTERNAL_KEY,
                "--spring.autoconfigure.exclude=" + NO_API_SECURITY);
        // Under target, not the OS's temp folder: the JVM stops with the pipeline running, so nothing deletes it.
        Path stateDir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "state")), "voucher-streams");
        // Kafka Streams tells the other instances where this one answers queries before its server starts.
        int streamsPort = FreePorts.next();
        streamsUrl = "http://localhost:" + streamsPort;
        streams = VoucherStreamsApplication.builder().sources(CapturedSpans.Export.class).run(
                "--server.port=" + streamsPort, "--management.server.port=0", EVERY_TRACE,
                "--voucher.advertised-url=" + streamsUrl,
                "--voucher.bootstrap-servers=" + broker.bootstrapServers(),
                "--voucher.state-dir=" + stateDir,
                "--voucher.commit-interval=20ms",
                // Vouchers without an end of their own last past the bank's next midnight, which a run may cross.
                "--voucher.policy.default-validity-days=2", "--voucher.policy.max-validity-days=2",
                "--voucher.request-signing.keys.k1=" + REQUEST_SIGNING_KEY,
                "--internal-api.keys.k1=" + TestKeys.VOUCHER_STREAMS_INTERNAL_KEY,
                // The ledger's JDBC starters share this classpath; the topology has no database.
                "--spring.autoconfigure.exclude=" + NO_DATABASE + "," + NO_API_SECURITY);
        int webhooksPort = FreePorts.next();
        webhooksUrl = "http://localhost:" + webhooksPort;
        webhooks = WebhookDeliveryApplication.builder().sources(CapturedSpans.Export.class).run(
                "--server.port=" + webhooksPort, "--management.server.port=0", EVERY_TRACE,
                "--spring.datasource.url=" + postgres.getJdbcUrl("postgres", "webhooks"),
                "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                "--spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                "--webhook.secret-encryption.keys.k1=" + WEBHOOK_SECRET_KEY,
                // Receivers of the tests listen on localhost; retries in milliseconds.
                "--webhook.endpoints.allow-local-http=true", "--webhook.delivery.poll-interval=50ms",
                "--webhook.delivery.initial-backoff=100ms",
                "--internal-api.keys.k1=" + TestKeys.WEBHOOK_DELIVERY_INTERNAL_KEY,
                "--spring.autoconfigure.exclude=" + NO_API_SECURITY);
        KafkaStreams topology = streams.getBean(KafkaStreams.class);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> topology.state() == KafkaStreams.State.RUNNING);
    }

    public static synchronized RealPipeline start() {
        if (running == null) {
            try {
                running = new RealPipeline();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(running::stop));
        }
        return running;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** A topic of the pipeline's broker that no part of the pipeline reads. */
    public void createUnreadTopic(String name) {
        broker.createTopics(1, name);
    }

    /** Where the ledger adapter answers the ingress's reads of accounts. */
    public String ledgerUrl() {
        return ledgerUrl;
    }

    /** Where the webhook delivery service keeps customers' endpoints. */
    public String webhooksUrl() {
        return webhooksUrl;
    }

    /** Where voucher-streams answers the ingress's reads. */
    public String voucherStreamsUrl() {
        return streamsUrl;
    }

    /**
     * Stops the voucher topology processing until the returned pause is closed: meanwhile every request published
     * waits in Kafka, and reads of what was processed before are answered as usual.
     */
    public Pause pauseVoucherStreams() {
        KafkaStreams topology = streams.getBean(KafkaStreams.class);
        topology.pause();
        return topology::resume;
    }

    /** A pause of part of the pipeline; closing it lets that part take up what waited. */
    public interface Pause extends AutoCloseable {

        @Override
        void close();
    }

    /** Opens an account for a customer the demo data does not have. */
    public void openAccount(String accountId, String customerId, long openingBalanceMinor) {
        openAccount(accountId, customerId, "CNY", openingBalanceMinor);
    }

    /** With a daily outward limit of its opening balance. */
    public void openAccount(String accountId, String customerId, String currency, long openingBalanceMinor) {
        openAccount(accountId, customerId, currency, openingBalanceMinor, openingBalanceMinor);
    }

    public void openAccount(String accountId, String customerId, String currency, long openingBalanceMinor,
                            long dailyOutwardLimitMinor) {
        ledger.getBean(AccountOpening.class).openCustomerAccount(accountId, customerId, currency, openingBalanceMinor,
                dailyOutwardLimitMinor);
    }

    /** Closes an account that holds nothing, as an operator does. */
    public void closeAccount(String accountId) {
        ledger.getBean(AccountOpening.class).closeCustomerAccount(accountId);
    }

    private void stop() {
        webhooks.close();
        streams.close();
        ledger.close();
        try {
            postgres.close();
        } catch (IOException ignored) {
            // the JVM is going away
        }
        broker.close();
    }
}
