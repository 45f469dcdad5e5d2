package io.qrvoucher.webhook.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrvoucher.webhook.WebhookProperties;
import io.qrvoucher.webhook.core.SecretBox;

/** Finished deliveries are kept for the retention, then forgotten with their attempts, as the service's role does it. */
class DeliveryRetentionTest {

    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    private static final Duration RETENTION = Duration.ofDays(30);
    private static final Instant OLD = NOW.minus(RETENTION).minus(Duration.ofDays(1));
    private static final Instant RECENT = NOW.minus(Duration.ofDays(1));
    private static final Duration GIVE_UP_AFTER = Duration.ofHours(24);
    private static final String KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    private static final SecretBox SECRETS = new SecretBox(Map.of("k1", KEY), "k1");

    private final List<SingleConnectionDataSource> connections = new ArrayList<>();
    private String url;
    private JdbcClient service;
    private WebhookStore store;
    private TransactionTemplate transactions;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void database() throws SQLException {
        url = ServiceRoleDatabase.create();
        SingleConnectionDataSource dataSource = connection();
        service = JdbcClient.create(dataSource);
        store = new WebhookStore(service, SECRETS);
        transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        service.sql("INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, secret_key_id, "
                + "secret_ciphertext, idempotency_key, request_hash, created_at) VALUES ('e', 'alice', 'https://x.example/', "
                + "'{ISSUED}', 'k1', '\\x00', 'k', 'h', now())").update();
    }

    @Test
    void finishedDeliveriesPastTheRetentionAreForgottenWithTheirAttempts() {
        long delivered = finished("v1", "DELIVERED", OLD, null);
        long givenUp = finished("v2", "GIVEN_UP", OLD, null);
        long recent = finished("v3", "DELIVERED", RECENT, null);
        long stillRetried = pending("v4", null);
        List.of(delivered, givenUp, recent).forEach(this::attempted);

        retention(10).sweep();

        assertThat(deliveries()).containsExactlyInAnyOrder(recent, stillRetried);
        assertThat(service.sql("SELECT delivery_id FROM webhook_attempts").query(Long.class).list()).containsExactly(recent);
        assertThat(meters.counter("webhook.deliveries.forgotten").count()).isEqualTo(2);
    }

    /**
     * A receiver that answered 410 Gone and whose customer left it so past the give-up age: its queue is given up (and
     * forgotten a retention later), not kept for good; one disabled more lately keeps its queue for its customer.
     */
    @Test
    void theQueueOfAnEndpointDisabledLongerThanTheGiveUpAgeIsGivenUp() {
        long waiting = pending("v1", null);
        long behind = pending("v2", null);
        store.disable("e", Endpoint.GONE, NOW.minus(GIVE_UP_AFTER).minusSeconds(1));
        service.sql("INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, secret_key_id, "
                + "secret_ciphertext, idempotency_key, request_hash, created_at) VALUES ('lately', 'alice', "
                + "'https://y.example/', '{ISSUED}', 'k1', '\\x00', 'k2', 'h', now())").update();
        long keptForItsCustomer = service.sql("""
                        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status,
                            created_at, next_attempt_at)
                        VALUES ('lately', 'v3/ISSUED', 'ISSUED', 'v3', '\\x00', 'PENDING', :now, :now)
                        RETURNING delivery_id""").param("now", Timestamp.from(NOW)).query(Long.class).single();
        store.disable("lately", Endpoint.GONE, NOW.minus(GIVE_UP_AFTER).plusSeconds(1));

        retention(10).sweep();

        assertThat(service.sql("SELECT delivery_id FROM webhook_deliveries WHERE status = 'GIVEN_UP' ORDER BY delivery_id")
                .query(Long.class).list()).containsExactly(waiting, behind);
        assertThat(service.sql("SELECT status FROM webhook_deliveries WHERE delivery_id = :id").param("id", keptForItsCustomer)
                .query(String.class).single()).isEqualTo("PENDING");
        assertThat(service.sql("SELECT endpoint_id FROM webhook_endpoint_heads").query(String.class).list())
                .as("a given-up queue leaves no head row to pass over").containsExactly("lately");
        assertThat(meters.counter("webhook.deliveries.given.up.disabled").count()).isEqualTo(2);
    }

    @Test
    void anEventsDeliveriesToAnEndpointGoTogetherOnceTheLastOfItsResendsIsOld() {
        long keptByPendingResend = finished("v1", "DELIVERED", OLD, null);
        long pendingResend = pending("v1", keptByPendingResend);
        long keptByRecentResend = finished("v2", "GIVEN_UP", OLD, null);
        long oldResend = finished("v2", "GIVEN_UP", OLD, keptByRecentResend);
        long recentResendOfResend = finished("v2", "DELIVERED", RECENT, oldResend);
        long forgotten = finished("v3", "GIVEN_UP", OLD, null);
        long itsResend = finished("v3", "GIVEN_UP", OLD, forgotten);
        finished("v3", "DELIVERED", OLD, itsResend);

        retention(10).sweep();

        assertThat(deliveries()).containsExactlyInAnyOrder(keptByPendingResend, pendingResend, keptByRecentResend,
                oldResend, recentResendOfResend);
        assertThat(meters.counter("webhook.deliveries.forgotten").count()).isEqualTo(3);
    }

    @AfterEach
    void closeConnections() {
        connections.forEach(SingleConnectionDataSource::destroy);
    }

    @Test
    void aResendBeingRecordedKeepsItsEventsDeliveriesFromASweepRunningMeanwhile() throws Exception {
        long givenUp = finished("v1", "GIVEN_UP", OLD, null);
        SingleConnectionDataSource secondConnection = connection();
        WebhookStore secondStore = new WebhookStore(JdbcClient.create(secondConnection), SECRETS);
        TransactionTemplate resending = new TransactionTemplate(new DataSourceTransactionManager(secondConnection));
        CountDownLatch recorded = new CountDownLatch(1);
        CountDownLatch swept = new CountDownLatch(1);
        ExecutorService customer = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<Delivery>> resend = customer.submit(() -> resending.execute(status -> {
                Optional<Delivery> resent = secondStore.resend("alice", "e", givenUp, "resend-1", NOW);
                recorded.countDown();
                awaitQuietly(swept);
                return resent;
            }));
            assertThat(recorded.await(10, TimeUnit.SECONDS)).isTrue();

            int forgotten = transactions.execute(status -> store.forgetFinishedBefore(NOW.minus(RETENTION), 10));
            swept.countDown();

            assertThat(forgotten).as("the event's first delivery is held by the resend: skipped").isZero();
            assertThat(resend.get(10, TimeUnit.SECONDS)).isPresent();
            assertThat(deliveries()).hasSize(2).contains(givenUp);
        } finally {
            customer.shutdownNow();
        }
    }

    @Test
    void theSweepForgetsTheSecretsReplacedMoreThanADayAgoAndKeepsTheRest() {
        // The registration's secret (made with the endpoint), replaced by rotations two days and an hour ago.
        assertThat(store.rotateSecret("alice", "e", Duration.ZERO, "rotate-1", Duration.ofHours(1),
                NOW.minus(Duration.ofDays(2)))).isPresent();
        assertThat(store.rotateSecret("alice", "e", Duration.ZERO, "rotate-2", Duration.ofHours(1),
                NOW.minus(Duration.ofHours(1)))).isPresent();

        retention(10).sweep();

        assertThat(service.sql("SELECT rotation_key FROM webhook_signing_secrets ORDER BY secret_id").query(String.class)
                .list()).containsExactly("rotate-1", "rotate-2");
    }

    @Test
    void aBatchTakesTheEventsThatFinishedFirst() {
        long lastToFinish = finished("v1", "DELIVERED", OLD, null);
        finished("v2", "DELIVERED", OLD.minus(Duration.ofDays(2)), null);
        finished("v3", "DELIVERED", OLD.minus(Duration.ofDays(1)), null);

        int forgotten = transactions.execute(status -> store.forgetFinishedBefore(NOW.minus(RETENTION), 2));

        assertThat(forgotten).isEqualTo(2);
        assertThat(deliveries()).containsExactly(lastToFinish);
    }

    @Test
    void aSweepGoesOnABatchAtATimeUntilNothingIsOldEnough() {
        for (int i = 1; i <= 5; i++) {
            finished("v" + i, "DELIVERED", OLD, null);
        }
        long recent = finished("v6", "DELIVERED", RECENT, null);

        retention(2).sweep();

        assertThat(deliveries()).containsExactly(recent);
        assertThat(meters.counter("webhook.deliveries.forgotten").count()).isEqualTo(5);
    }

    @Test
    void aRetentionOfNothingIsRefusedRatherThanDeletingEveryFinishedDelivery() {
        for (Duration retention : List.of(Duration.ZERO, Duration.ofDays(-1))) {
            assertThatThrownBy(() -> new WebhookProperties.Delivery(4, Duration.ofMillis(500), Duration.ofSeconds(5),
                    Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofHours(24), retention,
                    Duration.ofHours(1), Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("webhook.delivery.retention");
        }
    }

    private SingleConnectionDataSource connection() {
        SingleConnectionDataSource connection = ServiceRoleDatabase.asService(url);
        connections.add(connection);
        return connection;
    }

    /** Waits for the latch at most ten seconds: the test fails on its assertions, not by hanging. */
    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private DeliveryRetention retention(int batch) {
        return new DeliveryRetention(store, transactions, RETENTION, GIVE_UP_AFTER, batch, Clock.fixed(NOW, ZoneOffset.UTC),
                meters);
    }

    /** A delivery of the voucher's ISSUED event to endpoint e that finished at {@code finishedAt}; a resend if {@code resendOf}. */
    private long finished(String voucherId, String status, Instant finishedAt, Long resendOf) {
        return service.sql("""
                        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status,
                            created_at, attempts, finished_at, resend_of)
                        VALUES ('e', :event, 'ISSUED', :voucher, '\\x00', :status, :created, 1, :finished, :resendOf)
                        RETURNING delivery_id""")
                .param("event", voucherId + "/ISSUED").param("voucher", voucherId).param("status", status)
                .param("created", Timestamp.from(finishedAt.minusSeconds(60))).param("finished", Timestamp.from(finishedAt))
                .param("resendOf", resendOf, Types.BIGINT).query(Long.class).single();
    }

    /** A delivery of the voucher's ISSUED event created long ago and still being retried. */
    private long pending(String voucherId, Long resendOf) {
        return service.sql("""
                        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status,
                            created_at, next_attempt_at, resend_of)
                        VALUES ('e', :event, 'ISSUED', :voucher, '\\x00', 'PENDING', :created, :next, :resendOf)
                        RETURNING delivery_id""")
                .param("event", voucherId + "/ISSUED").param("voucher", voucherId)
                .param("created", Timestamp.from(OLD.minus(Duration.ofDays(1)))).param("next", Timestamp.from(NOW))
                .param("resendOf", resendOf, Types.BIGINT).query(Long.class).single();
    }

    private void attempted(long deliveryId) {
        service.sql("INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code) "
                + "VALUES (:delivery, 1, now(), 5, 200)").param("delivery", deliveryId).update();
    }

    private List<Long> deliveries() {
        return service.sql("SELECT delivery_id FROM webhook_deliveries ORDER BY delivery_id").query(Long.class).list();
    }
}
