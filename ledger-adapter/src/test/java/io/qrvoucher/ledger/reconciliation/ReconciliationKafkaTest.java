package io.qrvoucher.ledger.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import com.jayway.jsonpath.JsonPath;

import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.keys.TestKeys;
import io.qrvoucher.ledger.AdapterBroker;
import io.qrvoucher.ledger.LedgerDatabases;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.core.LedgerCommand;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.internal.InternalApi;

/**
 * The reconciliation as it runs in the adapter: voucher events from a real broker, the ledger in a
 * real PostgreSQL changed through the real {@link Ledger}, mismatches in the metric, the report and
 * the log. The grace period and the interval are tiny, so that a voucher is checked at once.
 */
@SpringBootTest(classes = LedgerAdapterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=ledger-adapter", "ledger.reconciliation.grace-period=100ms",
                "ledger.reconciliation.interval=200ms", "internal-api.keys.k1=" + TestKeys.LEDGER_ADAPTER_INTERNAL_KEY,
                // One test holds a row the listener's statement waits for.
                "ledger.retry.statement-timeout=2s"})
@ActiveProfiles("demo")
@Import(AdapterBroker.class)
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class ReconciliationKafkaTest {

    private static final String DATABASE = LedgerDatabases.newLedger();
    private static final AvroSerde<VoucherEvent> EVENTS = AvroSerde.of(VoucherEvent.class);

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabases.register(registry, DATABASE);
    }

    @Autowired
    KafkaListenerEndpointRegistry listeners;

    @Autowired
    TestBroker broker;

    @Autowired
    Ledger ledger;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    MeterRegistry meters;

    @Autowired
    DataSource dataSource;

    @Autowired
    VoucherEventListener listener;

    @LocalServerPort
    int port;

    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void connect() {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void disconnect() {
        producer.close();
    }

    @Test
    void theReconciliationsConsumerLetsTheBrokerGatherEventsAndTheCommandsConsumerDoesNot() {
        assertThat(consumerOverrides("ledger-reconciliation"))
                .containsEntry("fetch.max.wait.ms", "500").containsEntry("fetch.min.bytes", "65536");
        assertThat(consumerOverrides("ledger-commands")).doesNotContainKeys("fetch.max.wait.ms", "fetch.min.bytes");
    }

    /** What a running consumer of the listener is given beyond the shared consumer factory's settings. */
    private Properties consumerOverrides(String listenerId) {
        var container = (ConcurrentMessageListenerContainer<?, ?>) listeners.getListenerContainer(listenerId);
        return container.getContainers().get(0).getContainerProperties().getKafkaConsumerProperties();
    }

    /**
     * The listener's statements end as the commands' do: one waiting for a row another transaction holds (or for a
     * database gone silent) fails after {@code ledger.retry.statement-timeout}, and its poll is tried again, where it
     * held its thread and a connection of the pool for as long as the row was held, past the poll interval.
     */
    @Test
    void anExpectationWaitingForARowAnotherTransactionHoldsFailsAfterTheStatementTimeout() throws Exception {
        String voucherId = "held-" + UUID.randomUUID();
        Instant at = Instant.now();
        byte[] expired = EVENTS.encode(VoucherEvents.event(voucherId, VoucherEventType.EXPIRED, VoucherStatus.EXPIRED,
                HoldState.RELEASING, 3, 10_00L, at));
        ExecutorService polls = Executors.newSingleThreadExecutor();
        try (Connection holder = dataSource.getConnection()) {
            holder.setAutoCommit(false);
            try (PreparedStatement held = holder.prepareStatement("""
                    INSERT INTO reconciliation_expectations (voucher_id, status, voucher_version, account_id, currency,
                                                             face_value_minor, redeemed_minor, due_at)
                    VALUES (?, 'EXPIRED', 2, 'alice-cny', 'CNY', 1000, 0, ?)""")) {
                held.setString(1, voucherId);
                held.setTimestamp(2, Timestamp.from(at));
                held.executeUpdate();
            }
            Future<?> poll = polls.submit(() -> listener.onEvents(List.of(
                    new ConsumerRecord<>("voucher-events", 0, 0L, voucherId, expired))));

            assertThat(catchThrowable(() -> poll.get(30, TimeUnit.SECONDS))).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(QueryTimeoutException.class);
            holder.rollback();
        } finally {
            polls.shutdownNow();
        }
    }

    @Test
    void aRedeemedVoucherTheLedgerAgreesWithIsCheckedAndLeavesNoMismatch() {
        String voucherId = "agrees-" + UUID.randomUUID();
        redeemInLedger(voucherId, 100_00L, 25_00L);
        Instant at = Instant.now();

        publish(VoucherEvents.event(voucherId, VoucherEventType.REQUESTED, VoucherStatus.PENDING, HoldState.REQUESTED, 1,
                100_00L, at));
        publish(VoucherEvents.event(voucherId, VoucherEventType.ISSUED, VoucherStatus.UNUSED, HoldState.HELD, 2,
                100_00L, at));
        publish(VoucherEvents.redeemed(voucherId, VoucherEventType.REDEMPTION_STARTED, VoucherStatus.REDEEMING,
                HoldState.CAPTURING, 3, 100_00L, 25_00L, at));
        RecordMetadata redeemed = publish(VoucherEvents.redeemed(voucherId, VoucherEventType.REDEEMED,
                VoucherStatus.REDEEMED, HoldState.CAPTURED, 4, 100_00L, 25_00L, at));

        awaitConsumed(redeemed);
        // Consumed means recorded: the offset is committed after the expectation. Gone means checked and agreed.
        await().atMost(Duration.ofSeconds(30)).until(() -> expectations(voucherId) == 0);
        assertThat(jdbc.sql("SELECT count(*) FROM reconciliation_mismatches WHERE voucher_id = :id")
                .param("id", voucherId).query(Long.class).single()).isZero();
        assertThat(JsonPath.<List<Object>>read(report(), "$.newestMismatches[?(@.voucherId == '" + voucherId + "')]"))
                .isEmpty();
    }

    @Test
    void aVoucherRedeemedWhoseHoldTheLedgerReleasedShowsInTheMetricTheReportAndTheLog(CapturedOutput output) {
        String voucherId = "released-" + UUID.randomUUID();
        ledger.apply(new LedgerCommand.Freeze(voucherId + "/freeze", voucherId, "alice", "alice-cny", 100_00L, "CNY"));
        ledger.apply(new LedgerCommand.Release(voucherId + "/release", voucherId));
        double before = mismatchesOnceKnown(Check.VOUCHER_AGREES_WITH_LEDGER);

        publish(VoucherEvents.redeemed(voucherId, VoucherEventType.REDEEMED, VoucherStatus.REDEEMED, HoldState.CAPTURED,
                4, 100_00L, 100_00L, Instant.now()));

        await().atMost(Duration.ofSeconds(30))
                .until(() -> mismatches(Check.VOUCHER_AGREES_WITH_LEDGER) == before + 1);
        String report = report();
        assertThat(JsonPath.<Integer>read(report, "$.openMismatches.voucher_agrees_with_ledger"))
                .isEqualTo((int) before + 1);
        assertThat(JsonPath.<List<Map<String, Object>>>read(report,
                "$.newestMismatches[?(@.voucherId == '" + voucherId + "')]"))
                .singleElement().satisfies(mismatch -> {
                    assertThat(mismatch).containsEntry("check", "voucher_agrees_with_ledger");
                    assertThat(mismatch).containsEntry("expected",
                            "hold of 10000 CNY on alice-cny CAPTURED 10000; redemptions [10000] to [account bob-cny]");
                    assertThat(mismatch).containsEntry("found", "hold of 10000 CNY on alice-cny RELEASED; no redemption");
                });
        assertThat(output).contains("ERROR").contains("Reconciliation mismatch voucher_agrees_with_ledger on " + voucherId);
    }

    @Test
    void aCancelledVoucherWhoseHoldTheLedgerCapturedIsAMismatch() {
        String voucherId = "captured-" + UUID.randomUUID();
        redeemInLedger(voucherId, 100_00L, 100_00L);

        publish(VoucherEvents.event(voucherId, VoucherEventType.CANCELLED, VoucherStatus.CANCELLED, HoldState.RELEASING,
                3, 100_00L, Instant.now()));

        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql("""
                SELECT count(*) FROM reconciliation_mismatches
                WHERE check_name = 'voucher_agrees_with_ledger' AND voucher_id = :id""")
                .param("id", voucherId).query(Long.class).single() == 1);
    }

    @Test
    void anUnreadableEventIsSkippedAndTheEventsAfterItAreStillChecked() {
        String voucherId = "after-garbage-" + UUID.randomUUID();
        ledger.apply(new LedgerCommand.Freeze(voucherId + "/freeze", voucherId, "alice", "alice-cny", 10_00L, "CNY"));
        double unreadableBefore = meters.get("ledger.reconciliation.unreadable.events").counter().count();

        send(voucherId, "not avro".getBytes(StandardCharsets.UTF_8));
        publish(VoucherEvents.event(voucherId, VoucherEventType.EXPIRED, VoucherStatus.EXPIRED, HoldState.RELEASING,
                3, 10_00L, Instant.now()));

        // The hold was never released: the expired voucher's check says so.
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql("""
                SELECT count(*) FROM reconciliation_mismatches WHERE check_name = 'hold_ended' AND voucher_id = :id""")
                .param("id", voucherId).query(Long.class).single() == 1);
        assertThat(meters.get("ledger.reconciliation.unreadable.events").counter().count())
                .isEqualTo(unreadableBefore + 1);
    }

    private void redeemInLedger(String voucherId, long faceValueMinor, long amountMinor) {
        ledger.apply(new LedgerCommand.Freeze(voucherId + "/freeze", voucherId, "alice", "alice-cny", faceValueMinor, "CNY"));
        ledger.apply(new LedgerCommand.Transfer(voucherId + "/transfer", voucherId, amountMinor, "CNY", "bob",
                new LedgerCommand.OwnAccount("bob-cny")));
    }

    private RecordMetadata publish(VoucherEvent event) {
        return send(event.getVoucherId(), EVENTS.encode(event));
    }

    private RecordMetadata send(String key, byte[] value) {
        try {
            return producer.send(new ProducerRecord<>("voucher-events", key, value)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot publish to voucher-events", e);
        }
    }

    /** Waits until the reconciliation's consumer group has committed an offset past the record. */
    private void awaitConsumed(RecordMetadata record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets("ledger-reconciliation")
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(partition);
                return committed != null && committed.offset() > record.offset();
            });
        }
    }

    private long expectations(String voucherId) {
        return jdbc.sql("SELECT count(*) FROM reconciliation_expectations WHERE voucher_id = :id")
                .param("id", voucherId).query(Long.class).single();
    }

    private double mismatchesOnceKnown(Check check) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !Double.isNaN(mismatches(check)));
        return mismatches(check);
    }

    private double mismatches(Check check) {
        return meters.get("ledger.reconciliation.mismatches").tag("check", check.id()).gauge().value();
    }

    private String report() {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
                .filter(InternalApi.Callee.withKey(TestKeys.LEDGER_ADAPTER_INTERNAL_KEY).sealedCalls()).build()
                .get().uri("/internal/reconciliation").exchange()
                .expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }
}
