package io.qrvoucher.webhook.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import io.qrvoucher.webhook.core.Refusal;
import io.qrvoucher.webhook.core.SecretBox;

/**
 * An endpoint is locked by the instance sending to it for as long as the attempt lasts (a slow endpoint: its whole
 * response timeout). Its customer's new events must still be recorded meanwhile: the listener records every
 * customer's events in one transaction, so waiting for that lock would hold up everyone's webhooks.
 */
class EndpointLockTest {

    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    private static final SecretBox SECRETS = new SecretBox(Map.of("k1", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="), "k1");

    private String url;
    private SingleConnectionDataSource sending;
    private SingleConnectionDataSource listening;

    @BeforeEach
    void database() throws SQLException {
        url = ServiceRoleDatabase.create();
        sending = ServiceRoleDatabase.asService(url);
        listening = ServiceRoleDatabase.asService(url);
        endpointWithADeliveryDue("e", "alice", NOW);
    }

    private void endpointWithADeliveryDue(String endpointId, String customerId, Instant due) {
        SecretBox.Sealed secret = SECRETS.seal(endpointId, SecretBox.newSecret());
        JdbcClient.create(sending).sql("INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, "
                + "secret_key_id, secret_ciphertext, idempotency_key, request_hash, created_at) VALUES (:endpoint, "
                + ":customer, 'https://x.example/', '{ISSUED}', :keyId, :secret, :endpoint, 'h', now())")
                .param("endpoint", endpointId).param("customer", customerId)
                .param("keyId", secret.keyId()).param("secret", secret.ciphertext()).update();
        JdbcClient.create(sending).sql("""
                        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status,
                            created_at, next_attempt_at)
                        VALUES (:endpoint, 'v1/ISSUED', 'ISSUED', 'v1', '\\x00', 'PENDING', :due, :due)""")
                .param("endpoint", endpointId).param("due", Timestamp.from(due)).update();
    }

    /**
     * A give-up behind a failing head passes over a delivery that a resend holds (a resend locks its event's first
     * delivery, then waits for the endpoint's head row, which the give-up's transaction holds): waited for, each would
     * wait for the other.
     */
    @Test
    void aGiveUpBehindAHeadPassesOverADeliveryAResendHolds() throws Exception {
        JdbcClient.create(sending).sql("""
                        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status,
                            created_at, next_attempt_at)
                        VALUES ('e', 'v2/ISSUED', 'ISSUED', 'v2', '\\x00', 'PENDING', :at, :at)""")
                .param("at", Timestamp.from(NOW)).update();
        ExecutorService giving = Executors.newSingleThreadExecutor();
        try {
            new TransactionTemplate(new DataSourceTransactionManager(listening)).executeWithoutResult(resend -> {
                JdbcClient.create(listening).sql("SELECT 1 FROM webhook_deliveries WHERE event_id = 'v1/ISSUED' "
                        + "FOR NO KEY UPDATE").query(Integer.class).single();

                Future<Integer> givenUp = giving.submit(() -> new TransactionTemplate(new DataSourceTransactionManager(sending))
                        .execute(status -> new WebhookStore(JdbcClient.create(sending), SECRETS)
                                .giveUpPendingCreatedBefore("e", NOW.plusSeconds(1), NOW.plusSeconds(1))));

                try {
                    assertThat(givenUp.get(10, TimeUnit.SECONDS)).as("the one the resend does not hold").isOne();
                } catch (Exception e) {
                    throw new AssertionError("the give-up waited for the resend's lock", e);
                }
            });
        } finally {
            giving.shutdownNow();
        }
        assertThat(JdbcClient.create(sending).sql("SELECT event_id || ' ' || status FROM webhook_deliveries ORDER BY event_id")
                .query(String.class).list()).containsExactly("v1/ISSUED PENDING", "v2/ISSUED GIVEN_UP");
    }

    /** A customer whose endpoints answer slowly (on purpose or not) holds two workers at most, whatever is due. */
    @Test
    void oneCustomersEndpointsTakeTwoAttemptsAtOnceAndTheNextWorkerAnotherCustomers() throws SQLException {
        for (String endpoint : List.of("slow-1", "slow-2", "slow-3")) {
            endpointWithADeliveryDue(endpoint, "mallory", NOW.minusSeconds(600));
        }
        List<SingleConnectionDataSource> workers = List.of(ServiceRoleDatabase.asService(url),
                ServiceRoleDatabase.asService(url), ServiceRoleDatabase.asService(url));
        try {
            List<String> locked = new ArrayList<>();
            lockOneEachHoldingTheOthers(workers, 0, locked);
            String stillLocked = lastLockable;

            assertThat(locked).hasSize(3);
            assertThat(locked.subList(0, 2)).allMatch(endpoint -> endpoint.startsWith("slow-"));
            assertThat(locked.get(2)).isEqualTo("e");
            assertThat(stillLocked).as("the busy customer's third endpoint, let go again").isEqualTo("slow-3");
        } finally {
            workers.forEach(SingleConnectionDataSource::destroy);
        }
    }

    /** Resends waiting to be sent are bounded per endpoint; a resend retried with its key is still answered. */
    @Test
    void anEndpointTakesAHundredResendsWaitingAndNoMore() {
        WebhookStore store = new WebhookStore(JdbcClient.create(sending), SECRETS);
        long first = JdbcClient.create(sending).sql("SELECT delivery_id FROM webhook_deliveries WHERE endpoint_id = 'e'")
                .query(Long.class).single();
        for (int i = 0; i < WebhookStore.MAX_PENDING_RESENDS; i++) {
            assertThat(store.resend("alice", "e", first, "resend-" + i, NOW)).isPresent();
        }

        assertThatThrownBy(() -> store.resend("alice", "e", first, "one-more", NOW))
                .isInstanceOfSatisfying(Refusal.class,
                        refusal -> assertThat(refusal.code()).isEqualTo("TOO_MANY_RESENDS"));
        assertThat(store.resend("alice", "e", first, "resend-0", NOW)).isPresent();
    }

    /**
     * An endpoint that answers at once empties its queue of resends as fast as it is filled: one event is resent to it
     * a hundred times and no more, each resend a row that keeps the event's rows past the retention.
     */
    @Test
    void anEventIsResentAHundredTimesAndNoMoreEvenOnceEachWasSent() {
        WebhookStore store = new WebhookStore(JdbcClient.create(sending), SECRETS);
        long first = JdbcClient.create(sending).sql("SELECT delivery_id FROM webhook_deliveries WHERE endpoint_id = 'e'")
                .query(Long.class).single();
        for (int i = 0; i < WebhookStore.MAX_RESENDS_OF_AN_EVENT; i++) {
            assertThat(store.resend("alice", "e", first, "resend-" + i, NOW)).isPresent();
            JdbcClient.create(sending).sql("UPDATE webhook_deliveries SET status = 'DELIVERED', finished_at = :now, "
                            + "next_attempt_at = NULL WHERE resend_of IS NOT NULL")
                    .param("now", java.sql.Timestamp.from(NOW)).update();
        }

        assertThatThrownBy(() -> store.resend("alice", "e", first, "one-more", NOW))
                .isInstanceOfSatisfying(Refusal.class,
                        refusal -> assertThat(refusal.code()).isEqualTo("TOO_MANY_RESENDS"));
        assertThat(store.resend("alice", "e", first, "resend-7", NOW)).as("a retry is answered as before").isPresent();
    }

    /**
     * A resend and the endpoint's removal at once: the removal locks the endpoint, then deletes its deliveries. A
     * resend that held the delivery first, and then needed the endpoint to record the new one, deadlocked with it
     * (one of the two failed after PostgreSQL's deadlock timeout); it now finds the endpoint gone.
     */
    @Test
    void aResendWhileItsEndpointIsRemovedFindsItGone() {
        long first = JdbcClient.create(sending).sql("SELECT delivery_id FROM webhook_deliveries WHERE endpoint_id = 'e'")
                .query(Long.class).single();
        SingleConnectionDataSource resending = ServiceRoleDatabase.asService(url);
        int removing = backendOf(listening);
        int resendingBackend = backendOf(resending);
        ExecutorService removalThread = Executors.newSingleThreadExecutor();
        ExecutorService resendThread = Executors.newSingleThreadExecutor();
        try {
            AtomicReference<Future<Boolean>> removal = new AtomicReference<>();
            AtomicReference<Future<Optional<Delivery>>> resend = new AtomicReference<>();
            // Another transaction holds the delivery, so that the removal stops there with the endpoint locked.
            new TransactionTemplate(new DataSourceTransactionManager(sending)).executeWithoutResult(status -> {
                JdbcClient.create(sending).sql("SELECT 1 FROM webhook_deliveries WHERE delivery_id = :first FOR SHARE")
                        .param("first", first).query().listOfRows();
                removal.set(removalThread.submit(() -> new TransactionTemplate(new DataSourceTransactionManager(listening))
                        .execute(inner -> new WebhookStore(JdbcClient.create(listening), SECRETS).remove("alice", "e"))));
                awaitLockWait(removing);
                resend.set(resendThread.submit(() -> new TransactionTemplate(new DataSourceTransactionManager(resending))
                        .execute(inner -> new WebhookStore(JdbcClient.create(resending), SECRETS)
                                .resend("alice", "e", first, "resend-1", NOW))));
                awaitLockWait(resendingBackend);
            });

            assertThat(getWithin(removal.get(), "The endpoint was not removed")).isTrue();
            assertThat(getWithin(resend.get(), "The resend was not answered")).isEmpty();
            assertThat(JdbcClient.create(sending).sql("SELECT count(*) FROM webhook_deliveries").query(Long.class).single())
                    .isZero();
        } finally {
            removalThread.shutdownNow();
            resendThread.shutdownNow();
            resending.destroy();
        }
    }

    private static int backendOf(DataSource connection) {
        return JdbcClient.create(connection).sql("SELECT pg_backend_pid()").query(Integer.class).single();
    }

    /**
     * Until the backend waits for a lock another holds. Read from the lock manager, live: the asking transaction's
     * view of {@code pg_stat_activity} would be the one it took at its first look.
     */
    private void awaitLockWait(int pid) {
        await().atMost(Duration.ofSeconds(10)).until(() -> JdbcClient.create(sending)
                .sql("SELECT cardinality(pg_blocking_pids(:pid)) > 0").param("pid", pid).query(Boolean.class).single());
    }

    /** The endpoint the innermost worker found free to lock while all three held theirs. */
    private String lastLockable;

    /**
     * Each worker locks its next due endpoint inside the transactions of the workers before it, all open at once;
     * innermost, another connection looks for a busy customer's endpoint no one holds.
     */
    private void lockOneEachHoldingTheOthers(List<SingleConnectionDataSource> workers, int worker, List<String> locked) {
        if (worker == workers.size()) {
            lastLockable = JdbcClient.create(listening).sql("""
                            SELECT endpoint_id FROM webhook_endpoints WHERE customer_id = 'mallory'
                            ORDER BY endpoint_id FOR NO KEY UPDATE SKIP LOCKED""")
                    .query(String.class).list().stream().filter(id -> !locked.contains(id)).findFirst().orElse(null);
            return;
        }
        DataSource connection = workers.get(worker);
        new TransactionTemplate(new DataSourceTransactionManager(connection)).executeWithoutResult(status -> {
            new WebhookStore(JdbcClient.create(connection), SECRETS).lockNextDue(NOW)
                    .ifPresent(due -> locked.add(due.endpointId()));
            lockOneEachHoldingTheOthers(workers, worker + 1, locked);
        });
    }

    /** A secret whose key the operator dropped too soon leaves its delivery to be sent, and failed, not a worker stuck. */
    @Test
    void aDeliveryWhoseSecretCannotBeOpenedIsStillTakenWithTheSecretsThatCan() {
        SecretBox keyDropped = new SecretBox(Map.of("k2", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="), "k2");

        Optional<WebhookStore.Due> due = new TransactionTemplate(new DataSourceTransactionManager(sending))
                .execute(status -> new WebhookStore(JdbcClient.create(sending), keyDropped).lockNextDue(NOW));

        assertThat(due).hasValueSatisfying(taken -> assertThat(taken.secrets()).isEmpty());
    }

    @AfterEach
    void closeConnections() {
        sending.destroy();
        listening.destroy();
    }

    @Test
    void anEndpointBeingSentToStillTakesItsCustomersNewEvents() throws Exception {
        WebhookStore sender = new WebhookStore(JdbcClient.create(sending), SECRETS);
        WebhookStore listener = new WebhookStore(JdbcClient.create(listening), SECRETS);
        TransactionTemplate recording = new TransactionTemplate(new DataSourceTransactionManager(listening));
        ExecutorService listenerThread = Executors.newSingleThreadExecutor();
        try {
            AtomicInteger recorded = new AtomicInteger();
            Optional<WebhookStore.Due> attempt = new TransactionTemplate(new DataSourceTransactionManager(sending))
                    .execute(status -> {
                        Optional<WebhookStore.Due> due = sender.lockNextDue(NOW);
                        // While the attempt holds the endpoint: a lock wait fails the recording, it does not hang.
                        Future<Integer> newEvent = listenerThread.submit(() -> recording.execute(inner -> {
                            JdbcClient.create(listening).sql("SET LOCAL lock_timeout = '5s'").update();
                            return listener.record(List.of(new WebhookStore.NewDelivery("alice", "v2/ISSUED", "ISSUED",
                                    "v2", new byte[] {0}, null)), NOW);
                        }));
                        recorded.set(getWithin(newEvent, "The new event was not recorded while the endpoint was being sent to"));
                        return due;
                    });

            assertThat(attempt).isPresent();
            assertThat(recorded).hasValue(1);
        } finally {
            listenerThread.shutdownNow();
        }
    }

    @Test
    void anEndpointBeingSentToHasItsSecretRotatedMeanwhileAndItsNextAttemptSignsWithBoth() throws Exception {
        WebhookStore sender = new WebhookStore(JdbcClient.create(sending), SECRETS);
        WebhookStore api = new WebhookStore(JdbcClient.create(listening), SECRETS);
        TransactionTemplate rotating = new TransactionTemplate(new DataSourceTransactionManager(listening));
        TransactionTemplate attempting = new TransactionTemplate(new DataSourceTransactionManager(sending));
        ExecutorService apiThread = Executors.newSingleThreadExecutor();
        try {
            Optional<WebhookStore.Due> attempt = attempting.execute(status -> {
                Optional<WebhookStore.Due> due = sender.lockNextDue(NOW);
                Future<Optional<WebhookStore.Rotated>> rotation = apiThread.submit(() -> rotating.execute(inner -> {
                    JdbcClient.create(listening).sql("SET LOCAL lock_timeout = '5s'").update();
                    return api.rotateSecret("alice", "e", Duration.ofHours(1), "rotate-1", Duration.ofHours(1), NOW);
                }));
                assertThat(getWithin(rotation, "The secret was not rotated while the endpoint was being sent to"))
                        .hasValueSatisfying(rotated -> assertThat(rotated.created()).isTrue());
                return due;
            });
            assertThat(attempt).hasValueSatisfying(due -> assertThat(due.secrets()).hasSize(1));

            String rotated = attempting.execute(status -> api.rotateSecret("alice", "e", Duration.ofHours(1), "rotate-1",
                    Duration.ofHours(1), NOW)).orElseThrow().rotation().secret();
            Optional<WebhookStore.Due> next = attempting.execute(status -> sender.lockNextDue(NOW));
            assertThat(next).hasValueSatisfying(due -> assertThat(due.secrets())
                    .containsExactly(rotated, attempt.get().secrets().get(0)));
            Optional<WebhookStore.Due> anHourLater = attempting.execute(status -> sender.lockNextDue(NOW.plusSeconds(3600)));
            assertThat(anHourLater).hasValueSatisfying(due -> assertThat(due.secrets()).containsExactly(rotated));
        } finally {
            apiThread.shutdownNow();
        }
    }

    /** The same rotation asked of two instances at once (the ingress asked the next): one secret, answered to both. */
    @Test
    void aRotationRetriedOnAnotherInstanceWhileTheFirstIsUnderWayGetsTheSameSecret() throws Exception {
        WebhookStore first = new WebhookStore(JdbcClient.create(sending), SECRETS);
        WebhookStore second = new WebhookStore(JdbcClient.create(listening), SECRETS);
        TransactionTemplate secondsTransaction = new TransactionTemplate(new DataSourceTransactionManager(listening));
        ExecutorService secondInstance = Executors.newSingleThreadExecutor();
        try {
            AtomicReference<Future<Optional<WebhookStore.Rotated>>> retried = new AtomicReference<>();
            Optional<WebhookStore.Rotated> rotated = new TransactionTemplate(new DataSourceTransactionManager(sending))
                    .execute(status -> {
                        Optional<WebhookStore.Rotated> made = first.rotateSecret("alice", "e", Duration.ofHours(1),
                                "rotate-1", Duration.ofHours(1), NOW);
                        retried.set(secondInstance.submit(() -> secondsTransaction.execute(inner ->
                                second.rotateSecret("alice", "e", Duration.ofHours(1), "rotate-1", Duration.ofHours(1), NOW))));
                        // Until the second waits for this one's lock on the endpoint's rotations.
                        await().atMost(Duration.ofSeconds(10)).until(() -> JdbcClient.create(sending)
                                .sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                                .query(Long.class).single() > 0);
                        return made;
                    });

            Optional<WebhookStore.Rotated> answered = getWithin(retried.get(), "The retried rotation was not answered");
            assertThat(rotated).hasValueSatisfying(made -> assertThat(made.created()).isTrue());
            assertThat(answered).hasValueSatisfying(again -> {
                assertThat(again.created()).isFalse();
                assertThat(again.rotation()).isEqualTo(rotated.get().rotation());
            });
        } finally {
            secondInstance.shutdownNow();
        }
    }

    /** Rotations are bounded per endpoint and day; a rotation retried with its key is still answered. */
    @Test
    void anEndpointsSecretIsRotatedTenTimesADayAndNoMore() {
        WebhookStore store = new WebhookStore(JdbcClient.create(sending), SECRETS);
        for (int i = 0; i < WebhookStore.MAX_ROTATIONS; i++) {
            assertThat(store.rotateSecret("alice", "e", Duration.ZERO, "rotate-" + i, Duration.ofHours(1),
                    NOW.plusSeconds(i))).isPresent();
        }

        assertThatThrownBy(() -> store.rotateSecret("alice", "e", Duration.ZERO,
                        "one-more", Duration.ofHours(1), NOW.plusSeconds(60)))
                .isInstanceOfSatisfying(Refusal.class,
                        refusal -> assertThat(refusal.code()).isEqualTo("TOO_MANY_ROTATIONS"));
        assertThat(store.rotateSecret("alice", "e", Duration.ZERO, "rotate-9", Duration.ofHours(1), NOW.plusSeconds(60)))
                .hasValueSatisfying(rotated -> assertThat(rotated.created()).isFalse());
        // A day later there is room again, and the sweep forgets the secrets replaced more than a day ago: the one the
        // tenth rotation made (replaced now) and the new one are left.
        Instant aDayLater = NOW.plus(Duration.ofHours(24)).plusSeconds(60);
        assertThat(store.rotateSecret("alice", "e", Duration.ZERO, "one-more", Duration.ofHours(1), aDayLater)).isPresent();
        assertThat(store.forgetReplacedSecrets(aDayLater)).isEqualTo(10);
        assertThat(JdbcClient.create(sending).sql("SELECT count(*) FROM webhook_signing_secrets WHERE endpoint_id = 'e'")
                .query(Long.class).single()).isEqualTo(2);
        assertThat(store.rotateSecret("bob", "e", Duration.ZERO, "not-bobs", Duration.ofHours(1), NOW)).isEmpty();
    }

    private static <T> T getWithin(Future<T> result, String failure) {
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(failure, e);
        }
    }
}
