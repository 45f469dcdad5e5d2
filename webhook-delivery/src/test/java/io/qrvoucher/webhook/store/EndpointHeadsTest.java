package io.qrvoucher.webhook.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrvoucher.webhook.core.SecretBox;

/**
 * The endpoints' head rows the dispatcher finds its work by say when each endpoint's next delivery is due (the first of
 * its vouchers' heads, not while the endpoint rests): through its attempts, when a head ends while a new delivery is
 * being recorded (either first), and after a row went wrong.
 */
class EndpointHeadsTest {

    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    private static final SecretBox SECRETS = new SecretBox(Map.of("k1", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="), "k1");

    private final List<SingleConnectionDataSource> connections = new ArrayList<>();
    private final ExecutorService otherInstance = Executors.newSingleThreadExecutor();
    private String url;
    private JdbcClient sql;

    @BeforeEach
    void database() throws SQLException {
        url = ServiceRoleDatabase.create();
        sql = JdbcClient.create(connection());
    }

    @AfterEach
    void close() {
        otherInstance.shutdownNow();
        connections.forEach(SingleConnectionDataSource::destroy);
    }

    @Test
    void anEndpointsRowFollowsTheFirstDueOfItsVouchersHeadsThroughItsAttempts() {
        endpoint("e", "alice");
        Instance instance = new Instance();
        instance.recordEvent("v1", 1, NOW);
        instance.recordEvent("v1", 2, NOW);
        instance.recordEvent("v2", 1, NOW.plusSeconds(1));
        assertThat(dueAt("e")).contains(NOW);

        instance.attempt(NOW, Optional.of(NOW.plusSeconds(60)));
        assertThat(dueAt("e")).as("v1's head tried again in a minute: v2's head, not v1's next event")
                .contains(NOW.plusSeconds(1));
        assertThat(instance.lockNextDue(NOW.plusSeconds(1))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v2/v1"));
        instance.attempt(NOW.plusSeconds(1), Optional.empty());
        assertThat(dueAt("e")).as("v1's head; its next event waits behind it").contains(NOW.plusSeconds(60));
        assertThat(instance.lockNextDue(NOW.plusSeconds(30))).isEmpty();
        assertThat(instance.store.deliveriesOf("alice", "e", null, 10).orElseThrow())
                .filteredOn(delivery -> delivery.eventId().equals("v1/v2")).singleElement()
                .satisfies(waiting -> assertThat(waiting.nextAttemptAt()).as("no time of its own").isNull());

        instance.attempt(NOW.plusSeconds(60), Optional.empty());
        assertThat(dueAt("e")).as("v1's next event, due since it was recorded").contains(NOW);
        assertThat(instance.lockNextDue(NOW.plusSeconds(60))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v1/v2"));
        instance.attempt(NOW.plusSeconds(61), Optional.empty());
        assertThat(dueAt("e")).as("nothing pending").isEmpty();
    }

    /** After a failed attempt nothing is sent to the endpoint until its rest ends; a delivered attempt ends it. */
    @Test
    void anEndpointRestsAfterAFailedAttemptUntilItsRestEndsWhateverIsDue() {
        endpoint("e", "alice");
        Instance instance = new Instance();
        for (String voucher : List.of("v1", "v2", "v3")) {
            instance.record(voucher, NOW);
        }

        instance.attempt(NOW, Optional.of(NOW.plusSeconds(60)), NOW.plusSeconds(10));
        assertThat(dueAt("e")).as("v2's head, once the rest ends").contains(NOW.plusSeconds(10));
        assertThat(instance.lockNextDue(NOW.plusSeconds(9))).isEmpty();
        assertThat(instance.lockNextDue(NOW.plusSeconds(10))).hasValueSatisfying(due -> {
            assertThat(due.eventId()).isEqualTo("v2/ISSUED");
            assertThat(due.endpointFailuresInARow()).isOne();
        });

        instance.attempt(NOW.plusSeconds(10), Optional.empty(), NOW.plusSeconds(3600));
        assertThat(dueAt("e")).as("v3's head, the rest over").contains(NOW);
        assertThat(instance.lockNextDue(NOW.plusSeconds(10))).hasValueSatisfying(due ->
                assertThat(due.endpointFailuresInARow()).isZero());
    }

    /**
     * A voucher's first delivery recorded while the endpoint's head backs off brings the endpoint's row forward to it
     * (not before the endpoint's rest ends): left at the head's retry, the new voucher's event would wait for it.
     */
    @Test
    void aNewVouchersFirstDeliveryBringsItsEndpointsRowForwardFromAHeadBackingOff() {
        endpoint("e", "alice");
        Instance instance = new Instance();
        instance.record("v1", NOW);
        instance.attempt(NOW, Optional.of(NOW.plusSeconds(3600)), NOW.plusSeconds(10));
        assertThat(dueAt("e")).contains(NOW.plusSeconds(3600));

        instance.record("v2", NOW.plusSeconds(20));
        assertThat(dueAt("e")).as("v2's head").contains(NOW.plusSeconds(20));
        instance.record("v3", NOW.plusSeconds(5));
        assertThat(dueAt("e")).as("v3's head, once the rest ends").contains(NOW.plusSeconds(10));
        assertThat(instance.lockNextDue(NOW.plusSeconds(10))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v3/ISSUED"));
    }

    /**
     * Two deliveries of one voucher recorded at once (a resend beside a new event) may each see the same last delivery
     * and queue behind it: once it ends, the first recorded is the voucher's head and the other waits behind it.
     */
    @Test
    void twoDeliveriesQueuedBehindOneAtOnceGoInTheOrderTheyWereRecorded() throws Exception {
        endpoint("e", "alice");
        Instance instance = new Instance();
        instance.recordEvent("v1", 1, NOW);
        try (RecordingUnderWay first = new RecordingUnderWay("v1", NOW)) {
            new Instance().recordEvent("v1", 3, NOW);
            first.commit();
        }
        assertThat(sql.sql("SELECT count(*) FROM webhook_deliveries WHERE waiting_behind = "
                + "(SELECT delivery_id FROM webhook_deliveries WHERE event_id = 'v1/v1')").query(Long.class).single())
                .as("both behind the first").isEqualTo(2);

        instance.attempt(NOW, Optional.empty());

        assertThat(instance.lockNextDue(NOW)).hasValueSatisfying(due -> assertThat(due.eventId()).isEqualTo("v1/ISSUED"));
        instance.attempt(NOW, Optional.of(NOW.plusSeconds(60)));
        assertThat(instance.lockNextDue(NOW.plusSeconds(1))).as("the other waits behind the one failing").isEmpty();
        instance.attempt(NOW.plusSeconds(60), Optional.empty());
        assertThat(instance.lockNextDue(NOW.plusSeconds(60))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v1/v3"));
    }

    /**
     * A recording that queues a delivery behind its voucher's last one while that one's end is being committed waits
     * for it, and finds it ended: it is the voucher's head, due. Read before the end committed, it would wait behind a
     * delivery that no longer wakes anyone.
     */
    @Test
    void aDeliveryQueuedBehindItsVouchersLastWhileThatOneEndsIsItsVouchersHeadNext() throws Exception {
        endpoint("e", "alice");
        Instance sender = new Instance();
        Instance listener = new Instance();
        sender.recordEvent("v1", 1, NOW);
        recordWhileTheHeadIsBeingDelivered(sender, () -> listener.recordEvent("v1", 2, NOW.plusSeconds(5)));

        assertThat(dueAt("e")).contains(NOW.plusSeconds(5));
        assertThat(sender.lockNextDue(NOW.plusSeconds(5))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v1/v2"));
    }

    /**
     * A give-up of many deliveries at once does not wait to wake one a recording holds (queuing behind it; the
     * recording may be waiting for the endpoint's head row, which the give-up holds): the head repair wakes it, and the
     * endpoint's row follows.
     */
    @Test
    void aDeliveryAGiveUpCouldNotWakeIsWokenByTheHeadRepair() throws Exception {
        endpoint("e", "alice");
        Instance instance = new Instance();
        instance.recordEvent("v1", 1, NOW);
        instance.recordEvent("v1", 2, NOW.plusSeconds(1));
        Instance listener = new Instance();

        listener.transactions.executeWithoutResult(queuing -> {
            JdbcClient.create(listener.connection).sql("SELECT 1 FROM webhook_deliveries WHERE event_id = 'v1/v2' FOR SHARE")
                    .query(Integer.class).single();
            Future<Integer> givenUp = otherInstance.submit(() -> instance.transactions.execute(status ->
                    instance.store.giveUpPendingCreatedBefore("e", NOW.plusSeconds(1), NOW.plusSeconds(1))));
            try {
                assertThat(givenUp.get(10, TimeUnit.SECONDS)).as("v1's first, older than the cutoff").isOne();
            } catch (Exception e) {
                throw new AssertionError("the give-up waited for the recording's lock", e);
            }
        });
        assertThat(instance.lockNextDue(NOW.plusSeconds(1))).as("waiting behind one that no longer wakes it").isEmpty();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();

        new HeadRepair(instance.store, instance.transactions, 100, meters).sweep();

        assertThat(meters.counter("webhook.deliveries.woken").count()).isOne();
        assertThat(dueAt("e")).contains(NOW.plusSeconds(1));
        assertThat(instance.lockNextDue(NOW.plusSeconds(1))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v1/v2"));
    }

    /**
     * After an attempt to one of a customer's endpoints, all of them go behind the endpoints due before it ended,
     * however old their own queues: ordered by due time alone, a customer's backlog came first again after each of its
     * attempts, and two customers with slow receivers held every worker while everyone else's deliveries waited.
     */
    @Test
    void aCustomerAttemptedGoesBehindTheEndpointsDueMeanwhileWithAllItsEndpoints() {
        endpoint("a1", "alice");
        endpoint("a2", "alice");
        endpoint("c", "carol");
        Instance instance = new Instance();
        for (int i = 1; i <= 3; i++) {
            instance.record("alice", "va" + i, NOW);
        }
        instance.record("carol", "vc", NOW.plusSeconds(1));

        instance.attempt(NOW.plusSeconds(2), Optional.empty());

        assertThat(instance.lockNextDue(NOW.plusSeconds(3))).hasValueSatisfying(due -> assertThat(due.endpointId())
                .as("carol's, due before alice's attempt ended, before alice's other endpoint").isEqualTo("c"));
        instance.attempt(NOW.plusSeconds(3), Optional.empty());
        assertThat(instance.lockNextDue(NOW.plusSeconds(4))).hasValueSatisfying(due -> assertThat(due.endpointId())
                .as("then alice's again").startsWith("a"));
    }

    /**
     * An error carrying the endpoint's own bytes (a status line with a NUL, which PostgreSQL keeps in no text) is
     * recorded, the delivery backed off: unrecorded, it was tried again at once, ahead of everyone's deliveries.
     */
    @Test
    void anAttemptWhoseErrorCarriesBytesNoTextHoldsIsRecordedAndBackedOff() {
        endpoint("e", "alice");
        Instance instance = new Instance();
        instance.record("v1", NOW);

        instance.transactions.executeWithoutResult(status -> instance.store.recordAttempt(
                instance.store.lockNextDue(NOW).orElseThrow(), NOW, 5, null,
                "ClientProtocolException: Invalid status line: HTTP/1.1 200\u0000 OK" + "x".repeat(2_000), false,
                Optional.of(NOW.plusSeconds(60)), NOW.plusSeconds(10), NOW));

        assertThat(dueAt("e")).contains(NOW.plusSeconds(60));
        assertThat(sql.sql("SELECT error FROM webhook_attempts").query(String.class).single())
                .startsWith("ClientProtocolException: Invalid status line: HTTP/1.1 200\uFFFD OK")
                .hasSize(WebhookStore.MAX_ERROR_LENGTH).endsWith("\u2026");
    }

    @Test
    void aHeadEndedWhileADeliveryIsBeingRecordedNeitherWaitsForItNorLeavesItWithoutARow() throws Exception {
        endpoint("e", "alice");
        Instance sender = new Instance();
        sender.record("v1", NOW);

        try (RecordingUnderWay recording = new RecordingUnderWay("v2", NOW.plusSeconds(5))) {
            withinTenSeconds(() -> {
                sender.attempt(NOW, Optional.empty());
                return null;
            });
            recording.commit();
        }

        assertThat(dueAt("e")).as("left early, as the ended head was due").contains(NOW);
        assertThat(sender.lockNextDue(NOW.plusSeconds(5))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v2/ISSUED"));
    }

    @Test
    void aPollsDeliveriesAreRecordedInEndpointOrderEachEndpointsInTheEventsOrder() {
        endpoint("b", "alice");
        endpoint("a", "alice");
        // Event ids that sort against the poll's order, more than a sort keeps in place.
        List<String> vouchers = List.of("v9", "v8", "v7", "v6", "v5", "v4", "v3", "v2", "v1");
        Instance listener = new Instance();
        listener.transactions.executeWithoutResult(status -> listener.store.record(
                vouchers.stream().map(EndpointHeadsTest::delivery).toList(), NOW));

        List<String> expected = new ArrayList<>();
        for (String endpoint : List.of("a", "b")) {
            vouchers.forEach(voucher -> expected.add(endpoint + " " + voucher + "/ISSUED"));
        }
        assertThat(sql.sql("SELECT endpoint_id || ' ' || event_id FROM webhook_deliveries ORDER BY delivery_id")
                .query(String.class).list()).containsExactlyElementsOf(expected);
    }

    @Test
    void anEarlyRowWhoseDeliveriesAreBeingRecordedIsPassedOverWithoutWaitingForThem() throws Exception {
        endpoint("e", "alice");
        endpoint("f", "bob");
        sql.sql("INSERT INTO webhook_endpoint_heads (endpoint_id, due_at) VALUES ('e', :due)")
                .param("due", Timestamp.from(NOW.minusSeconds(60))).update();
        Instance worker = new Instance();
        worker.transactions.executeWithoutResult(status -> worker.store.record(List.of(
                new WebhookStore.NewDelivery("bob", "v1/ISSUED", "ISSUED", "v1", new byte[] {0}, null)), NOW.minusSeconds(10)));

        try (RecordingUnderWay recording = new RecordingUnderWay("v2", NOW.plusSeconds(5))) {
            assertThat(withinTenSeconds(() -> worker.lockNextDue(NOW)))
                    .as("the next endpoint due, the early one passed over without waiting")
                    .hasValueSatisfying(due -> assertThat(due.endpointId()).isEqualTo("f"));
            assertThat(withinTenSeconds(() -> worker.store.repairHead("e"))).as("left as it was").isFalse();
            recording.commit();
        }

        assertThat(dueAt("e")).contains(NOW.minusSeconds(60));
        assertThat(worker.lockNextDue(NOW.plusSeconds(5))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v2/ISSUED"));
    }

    /**
     * An early row whose worker sees only a head backing off, while another voucher's first delivery is being
     * recorded, is left early and passed over, without waiting for the recording: set to the head it sees, the row would
     * say the backoff's end while the new voucher's delivery is due before it. The next look sets it.
     */
    @Test
    void anEarlyRowIsLeftEarlyWhileADeliveryIsBeingRecordedAndTheNextLookFindsItsVoucherDue() throws Exception {
        endpoint("e", "alice");
        Instance worker = new Instance();
        worker.record("v1", NOW);
        worker.attempt(NOW, Optional.of(NOW.plusSeconds(60)));
        sql.sql("UPDATE webhook_endpoint_heads SET due_at = :early WHERE endpoint_id = 'e'")
                .param("early", Timestamp.from(NOW.minusSeconds(60))).update();

        try (RecordingUnderWay recording = new RecordingUnderWay("v2", NOW.plusSeconds(5))) {
            assertThat(withinTenSeconds(() -> worker.lockNextDue(NOW))).isEmpty();
            assertThat(dueAt("e")).as("left early").contains(NOW.minusSeconds(60));
            recording.commit();
        }

        assertThat(worker.lockNextDue(NOW)).as("the row set from the queue as committed").isEmpty();
        assertThat(dueAt("e")).as("the new voucher's head, before the backoff's end").contains(NOW.plusSeconds(5));
        assertThat(worker.lockNextDue(NOW.plusSeconds(5))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v2/ISSUED"));
    }

    @Test
    void aDeliveryRecordedWhileTheHeadIsBeingFinishedIsFoundNext() throws Exception {
        endpoint("e", "alice");
        Instance sender = new Instance();
        Instance listener = new Instance();
        sender.record("v1", NOW);
        recordWhileTheHeadIsBeingDelivered(sender, () -> listener.record("v2", NOW.plusSeconds(5)));

        assertThat(dueAt("e")).contains(NOW.plusSeconds(5));
        assertThat(sender.lockNextDue(NOW.plusSeconds(5))).hasValueSatisfying(due -> assertThat(due.eventId())
                .isEqualTo("v2/ISSUED"));
    }

    @Test
    void aRowSayingDueWhenNothingIsIsMendedByTheWorkerThatLocksItAndTheNextLookFindsTheEndpointDue() {
        endpoint("stale", "carol");
        endpoint("e", "alice");
        Instance worker = new Instance();
        worker.record("v1", NOW);
        sql.sql("INSERT INTO webhook_endpoint_heads (endpoint_id, due_at) VALUES ('stale', :due)")
                .param("due", Timestamp.from(NOW.minusSeconds(60))).update();

        assertThat(worker.lockNextDue(NOW)).as("the stale row, locked and mended").isEmpty();
        assertThat(dueAt("stale")).isEmpty();
        assertThat(worker.lockNextDue(NOW)).hasValueSatisfying(due -> assertThat(due.endpointId()).isEqualTo("e"));
    }

    @Test
    void theRepairMendsMissingWrongAndLeftoverRowsAndThenFindsNothing() {
        for (String endpoint : List.of("missing", "wrong", "leftover", "right")) {
            endpoint(endpoint, endpoint);
        }
        Instance instance = new Instance();
        for (String customer : List.of("missing", "wrong", "right")) {
            instance.store.record(List.of(new WebhookStore.NewDelivery(customer, "v1/ISSUED", "ISSUED", "v1",
                    new byte[] {0}, null)), NOW);
        }
        sql.sql("DELETE FROM webhook_endpoint_heads WHERE endpoint_id = 'missing'").update();
        sql.sql("UPDATE webhook_endpoint_heads SET due_at = :later WHERE endpoint_id = 'wrong'")
                .param("later", Timestamp.from(NOW.plusSeconds(3600))).update();
        sql.sql("INSERT INTO webhook_endpoint_heads (endpoint_id, due_at) VALUES ('leftover', :due)")
                .param("due", Timestamp.from(NOW)).update();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        HeadRepair repair = new HeadRepair(instance.store, instance.transactions, 100, meters);

        repair.sweep();

        assertThat(dueAt("missing")).contains(NOW);
        assertThat(dueAt("wrong")).contains(NOW);
        assertThat(dueAt("leftover")).isEmpty();
        assertThat(dueAt("right")).contains(NOW);
        assertThat(meters.counter("webhook.endpoint.heads.repaired").count()).isEqualTo(3);
        assertThat(instance.store.endpointsWithWrongHeads(100)).isEmpty();
    }

    @Test
    void theMigrationGivesEveryEndpointWithADeliveryPendingItsRow() throws SQLException {
        String before = ServiceRoleDatabase.create("6");
        JdbcClient owner = JdbcClient.create(ServiceRoleDatabase.asOwner(before));
        for (String endpoint : List.of("a", "b")) {
            owner.sql("INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, secret_key_id, "
                    + "secret_ciphertext, idempotency_key, request_hash, created_at) VALUES (:e, :e, 'https://x.example/', "
                    + "'{ISSUED}', 'k1', '\\x00', :e, 'h', now())").param("e", endpoint).update();
        }
        owner.sql("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status, "
                + "created_at, finished_at) VALUES ('a', 'v0', 'ISSUED', 'v', '\\x00', 'DELIVERED', :at, :at)")
                .param("at", Timestamp.from(NOW)).update();
        // The queue's head is due after the delivery behind it (tried again later): the head counts, not the soonest.
        for (int event = 1; event <= 2; event++) {
            owner.sql("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status, "
                    + "created_at, next_attempt_at) VALUES ('a', :event, 'ISSUED', 'v', '\\x00', 'PENDING', :due, :due)")
                    .param("event", "v" + event).param("due", Timestamp.from(NOW.plusSeconds(30 / event))).update();
        }

        ServiceRoleDatabase.migrate(before);

        assertThat(owner.sql("SELECT endpoint_id, due_at FROM webhook_endpoint_heads").query().listOfRows())
                .singleElement().satisfies(row -> {
                    assertThat(row.get("endpoint_id")).isEqualTo("a");
                    assertThat(((Timestamp) row.get("due_at")).toInstant()).isEqualTo(NOW.plusSeconds(30));
                });
    }

    @Test
    void theMigrationQueuesEachVouchersLaterPendingDeliveriesBehindItsFirstAndDatesTheRowByTheFirstDueHead()
            throws SQLException {
        String before = ServiceRoleDatabase.create("11");
        JdbcClient owner = JdbcClient.create(ServiceRoleDatabase.asOwner(before));
        owner.sql("INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, secret_key_id, "
                + "secret_ciphertext, idempotency_key, request_hash, created_at) VALUES ('a', 'a', 'https://x.example/', "
                + "'{ISSUED}', 'k1', '\\x00', 'a', 'h', now())").update();
        // v's first tried again in a minute, its second behind it; w's first, recorded after both, due now.
        for (String event : List.of("v/v1", "v/v2", "w/v1")) {
            owner.sql("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status, "
                    + "created_at, next_attempt_at) VALUES ('a', :event, 'ISSUED', :voucher, '\\x00', 'PENDING', :at, :due)")
                    .param("event", event).param("voucher", event.substring(0, 1)).param("at", Timestamp.from(NOW))
                    .param("due", Timestamp.from(event.equals("v/v1") ? NOW.plusSeconds(60) : NOW)).update();
        }

        ServiceRoleDatabase.migrate(before);

        assertThat(owner.sql("""
                        SELECT d.event_id || ' behind ' || coalesce(b.event_id, 'none') FROM webhook_deliveries d
                        LEFT JOIN webhook_deliveries b ON b.delivery_id = d.waiting_behind ORDER BY d.delivery_id""")
                .query(String.class).list()).containsExactly("v/v1 behind none", "v/v2 behind v/v1", "w/v1 behind none");
        assertThat(owner.sql("SELECT due_at FROM webhook_endpoint_heads WHERE endpoint_id = 'a'").query(Timestamp.class)
                .single().toInstant()).as("w's head, not v's first").isEqualTo(NOW);
    }

    /**
     * A recording of alice's delivery, by another instance, left uncommitted (its share lock on the endpoint's head row
     * held) until committed; rolled back if not.
     */
    private final class RecordingUnderWay implements AutoCloseable {

        private final CountDownLatch commit = new CountDownLatch(1);
        private final Future<?> recording;

        RecordingUnderWay(String voucherId, Instant now) throws InterruptedException {
            Instance listener = new Instance();
            CountDownLatch recorded = new CountDownLatch(1);
            recording = otherInstance.submit(() -> listener.transactions.executeWithoutResult(status -> {
                listener.store.record(List.of(delivery(voucherId)), now);
                recorded.countDown();
                awaitLatch(commit);
            }));
            assertThat(recorded.await(10, TimeUnit.SECONDS)).isTrue();
        }

        void commit() throws Exception {
            commit.countDown();
            recording.get(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            commit.countDown();
        }
    }

    /**
     * Runs {@code recording} on a thread of its own while {@code sender} delivers its endpoint's head, between the
     * attempt's record and its commit: the recording waits for a lock the attempt holds, and the attempt then commits.
     */
    private void recordWhileTheHeadIsBeingDelivered(Instance sender, Runnable recording) throws Exception {
        CountDownLatch finishing = new CountDownLatch(1);
        CountDownLatch commit = new CountDownLatch(1);
        Future<?> attempt = otherInstance.submit(() -> sender.transactions.executeWithoutResult(status -> {
            WebhookStore.Due due = sender.store.lockNextDue(NOW).orElseThrow();
            sender.store.recordAttempt(due, NOW, 5, 200, null, true, Optional.empty(), NOW, NOW);
            finishing.countDown();
            awaitLatch(commit);
        }));
        assertThat(finishing.await(10, TimeUnit.SECONDS)).isTrue();
        ExecutorService recordingThread = Executors.newSingleThreadExecutor();
        try {
            Future<?> recorded = recordingThread.submit(recording);
            awaitSomeoneWaitingForALock();
            commit.countDown();
            attempt.get(10, TimeUnit.SECONDS);
            recorded.get(10, TimeUnit.SECONDS);
        } finally {
            recordingThread.shutdownNow();
        }
    }

    /** What {@code call} returns, made on a thread of its own: an AssertionError if it waits 10 s. */
    private static <T> T withinTenSeconds(Callable<T> call) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(call).get(10, TimeUnit.SECONDS);
        } catch (TimeoutException waited) {
            throw new AssertionError("Still waiting after 10 s", waited);
        } finally {
            thread.shutdownNow();
        }
    }

    /** One instance of the service: a connection of its own, its store and its transactions. */
    private final class Instance {

        final SingleConnectionDataSource connection = connection();
        final WebhookStore store = new WebhookStore(JdbcClient.create(connection), SECRETS);
        final TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(connection));

        void record(String voucherId, Instant now) {
            record("alice", voucherId, now);
        }

        void record(String customerId, String voucherId, Instant now) {
            transactions.executeWithoutResult(status -> store.record(List.of(delivery(customerId, voucherId)), now));
        }

        /** Records alice's delivery of the voucher's {@code version}-th event ({@code <voucher>/v<version>}). */
        void recordEvent(String voucherId, int version, Instant now) {
            transactions.executeWithoutResult(status -> store.record(List.of(new WebhookStore.NewDelivery("alice",
                    voucherId + "/v" + version, "ISSUED", voucherId, new byte[] {0}, null)), now));
        }

        Optional<WebhookStore.Due> lockNextDue(Instant now) {
            return transactions.execute(status -> store.lockNextDue(now));
        }

        /**
         * Attempts the next due delivery at {@code now}: delivered, or failed and tried again at {@code retry}, the
         * endpoint not resting.
         */
        void attempt(Instant now, Optional<Instant> retry) {
            attempt(now, retry, now);
        }

        /** As above, the endpoint resting until {@code restsUntil} if the attempt failed. */
        void attempt(Instant now, Optional<Instant> retry, Instant restsUntil) {
            transactions.executeWithoutResult(status -> {
                WebhookStore.Due due = store.lockNextDue(now).orElseThrow();
                store.recordAttempt(due, now, 5, retry.isPresent() ? 500 : 200, null, retry.isEmpty(), retry,
                        restsUntil, now);
            });
        }
    }

    private static WebhookStore.NewDelivery delivery(String voucherId) {
        return delivery("alice", voucherId);
    }

    private static WebhookStore.NewDelivery delivery(String customerId, String voucherId) {
        return new WebhookStore.NewDelivery(customerId, voucherId + "/ISSUED", "ISSUED", voucherId, new byte[] {0}, null);
    }

    private void endpoint(String endpointId, String customerId) {
        SecretBox.Sealed secret = SECRETS.seal(endpointId, SecretBox.newSecret());
        sql.sql("INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, secret_key_id, "
                        + "secret_ciphertext, idempotency_key, request_hash, created_at) VALUES (:endpoint, :customer, "
                        + "'https://x.example/', '{ISSUED}', :keyId, :secret, :endpoint, 'h', now())")
                .param("endpoint", endpointId).param("customer", customerId)
                .param("keyId", secret.keyId()).param("secret", secret.ciphertext()).update();
    }

    private Optional<Instant> dueAt(String endpointId) {
        return sql.sql("SELECT due_at FROM webhook_endpoint_heads WHERE endpoint_id = :endpoint")
                .param("endpoint", endpointId).query(Timestamp.class).optional().map(Timestamp::toInstant);
    }

    /** Until a transaction waits for another's row lock (its transaction's or the row's own lock). */
    private void awaitSomeoneWaitingForALock() {
        await().atMost(Duration.ofSeconds(10)).until(() -> sql.sql("""
                        SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                        WHERE NOT l.granted AND l.locktype IN ('transactionid', 'tuple')
                          AND a.datname = current_database()""")
                .query(Long.class).single() > 0);
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Not let go within 20 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private SingleConnectionDataSource connection() {
        SingleConnectionDataSource connection = ServiceRoleDatabase.asService(url);
        connections.add(connection);
        return connection;
    }
}
