package io.qrvoucher.voucher.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.RequestRefusal;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/** Long polls on the owner of a voucher, against a store the test writes and commits itself. */
class VoucherWatchesTest {

    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private static final Duration NEVER = Duration.ofHours(1);

    private final Store store = new Store();
    /** The walks' one thread: a test can wait for the walks asked for so far to have run. */
    private final ScheduledExecutorService walks = Executors.newSingleThreadScheduledExecutor();
    /** No idle rechecks: what a test's waiter is answered by is a commit, a refusal or a claim it announces. */
    private final VoucherWatches watches = new VoucherWatches(store, Schedulers.fromExecutorService(walks), NEVER,
            Duration.ofMillis(100));

    @AfterEach
    void stopTheWalks() {
        watches.close();
        walks.shutdownNow();
    }

    @Test
    void aWaiterIsAnsweredWhenItsVoucherIsCommittedNewerAndLeavesNoWatchBehind() throws Exception {
        store.commit(voucher("v1", 1));

        CompletableFuture<VoucherAnswer> answer = watches.awaitChange("v1", null, 1, BOUND).toFuture();
        assertThat(watches.watched()).isEqualTo(1);
        store.commit(voucher("v1", 2));
        watches.changed("v1", 2);
        watches.committed();

        assertThat(answer.get(BOUND.toSeconds(), TimeUnit.SECONDS).getVoucher().getVersion()).isEqualTo(2);
        await().atMost(BOUND).until(() -> watches.watched() == 0);
    }

    @Test
    void aWaiterWhoseFirstReadFailsGetsTheErrorAndLeavesNoWatchBehind() {
        store.failReads = true;

        assertThatThrownBy(() -> watches.awaitChange("v1", null, 1, BOUND).block(BOUND))
                .hasMessage("the voucher's partition moved");
        assertThat(watches.watched()).isZero();
    }

    @Test
    void aWaiterReadsAfterEachCommitUntilTheAnnouncedVersionShows() throws Exception {
        store.commit(voucher("v1", 1));

        CompletableFuture<VoucherAnswer> answer = watches.awaitChange("v1", null, 1, NEVER).toFuture();
        int readsBefore = store.committedReads.get();
        // Announced, and a commit of another store: version 2 is not visible yet.
        watches.changed("v1", 2);
        watches.committed();
        await().atMost(BOUND).until(() -> store.committedReads.get() > readsBefore);
        assertThat(answer).isNotDone();

        store.commit(voucher("v1", 2));
        watches.committed();
        assertThat(answer.get(BOUND.toSeconds(), TimeUnit.SECONDS).getVoucher().getVersion()).isEqualTo(2);
    }

    @Test
    void aCommitDuringTheWaitersFirstReadIsNotMissed() throws Exception {
        store.commit(voucher("v1", 1));
        // The version lands while the waiter reads the one before it, and the walk that commit wakes is over
        // before the waiter has joined the walks.
        store.duringNextRead = () -> {
            store.commit(voucher("v1", 2));
            watches.changed("v1", 2);
            watches.committed();
            awaitTheWalksSoFar();
        };

        CompletableFuture<VoucherAnswer> answer = watches.awaitChange("v1", null, 1, NEVER).toFuture();

        assertThat(answer.get(BOUND.toSeconds(), TimeUnit.SECONDS).getVoucher().getVersion()).isEqualTo(2);
    }

    @Test
    void aWaiterForARequestIsAnsweredWithItsRefusalOnceCommitted() throws Exception {
        store.commit(voucher("v1", 1));

        CompletableFuture<VoucherAnswer> answer = watches.awaitChange("v1", "r1", 1, NEVER).toFuture();
        store.refuse("v1", "r1");
        watches.refused("v1");
        watches.committed();

        VoucherAnswer refused = answer.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(refused.getRefusal().getReason()).isEqualTo("VOUCHER_NOT_REDEEMABLE");
        assertThat(refused.getVoucher().getVersion()).isEqualTo(1);
    }

    @Test
    void everyWaiterOfAVoucherIsAnsweredByOneCommit() throws Exception {
        store.commit(voucher("v1", 1));

        CompletableFuture<VoucherAnswer> payer = watches.awaitChange("v1", null, 1, NEVER).toFuture();
        CompletableFuture<VoucherAnswer> payee = watches.awaitChange("v1", "r1", 1, NEVER).toFuture();
        assertThat(watches.watched()).isEqualTo(1);
        store.commit(voucher("v1", 2));
        watches.changed("v1", 2);
        watches.committed();

        assertThat(payer.get(BOUND.toSeconds(), TimeUnit.SECONDS).getVoucher().getVersion()).isEqualTo(2);
        assertThat(payee.get(BOUND.toSeconds(), TimeUnit.SECONDS).getVoucher().getVersion()).isEqualTo(2);
        await().atMost(BOUND).until(() -> watches.watched() == 0);
    }

    @Test
    void aChangeNobodyAnnouncesIsFoundAtTheIdleRecheck() throws Exception {
        try (VoucherWatches rechecking = new VoucherWatches(store, Schedulers.parallel(), Duration.ofMillis(50),
                Duration.ofMillis(100))) {
            store.commit(voucher("v1", 1));

            CompletableFuture<VoucherAnswer> answer = rechecking.awaitChange("v1", null, 1, NEVER).toFuture();
            // A standby's voucher: restored from the changelog, announced by no task of this instance.
            store.commit(voucher("v1", 2));

            assertThat(answer.get(BOUND.toSeconds(), TimeUnit.SECONDS).getVoucher().getVersion()).isEqualTo(2);
        }
    }

    @Test
    void aWaitThatEndsUnansweredGetsTheVoucherAsItIsThenAndLeavesNoWatchBehind() {
        store.commit(voucher("v1", 1));

        VoucherAnswer answer = watches.awaitChange("v1", null, 1, Duration.ofMillis(50)).block(BOUND);

        assertThat(answer.getVoucher().getVersion()).isEqualTo(1);
        assertThat(watches.watched()).isZero();
    }

    @Test
    void aWaiterThatGoesAwayLeavesNoWatchBehind() {
        store.commit(voucher("v1", 1));

        Disposable waiter = watches.awaitChange("v1", null, 1, NEVER).subscribe();
        assertThat(watches.watched()).isEqualTo(1);
        waiter.dispose();

        assertThat(watches.watched()).isZero();
    }

    @Test
    void aClaimWaiterIsAnsweredOnceAClaimOfItsKeyIsProcessed() throws Exception {
        AtomicReference<IdempotencyClaim> claims = new AtomicReference<>();

        CompletableFuture<ClaimAnswer> answer = watches.awaitClaim("alice key-1",
                () -> new ClaimAnswer(claims.get()), NEVER).toFuture();
        assertThat(watches.watched()).isEqualTo(1);
        claims.set(IdempotencyClaim.newBuilder()
                .setClaimId("c1").setCustomerId("alice").setIdempotencyKey("key-1").setRequestHash("hash")
                .setRequestId("g1").setVoucherId("v1").setClaimedAt(NOW)
                .build());
        watches.claimed("alice key-1");

        assertThat(answer.get(BOUND.toSeconds(), TimeUnit.SECONDS).getClaim().getClaimId()).isEqualTo("c1");
        await().atMost(BOUND).until(() -> watches.watched() == 0);
    }

    private void awaitTheWalksSoFar() {
        try {
            walks.submit(() -> { }).get(BOUND.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static VoucherState voucher(String voucherId, long version) {
        return VoucherState.newBuilder()
                .setVoucherId(voucherId).setPayerCustomerId("alice").setAccountId("alice-cny")
                .setFaceValueMinor(10_00).setCurrency("CNY").setCodeHash("hash")
                .setStatus(VoucherStatus.UNUSED).setHoldState(HoldState.HELD)
                .setCreatedAt(NOW).setExpiresAt(NOW.plusSeconds(3600)).setUpdatedAt(NOW).setVersion(version)
                .setGenerateRequestId("g1")
                .build();
    }

    /** Committed vouchers and refusals only: what is written is committed at once. */
    private static final class Store implements VoucherWatches.VoucherLookups {

        private final Map<String, VoucherState> committed = new ConcurrentHashMap<>();
        private final Map<String, RequestRefusal> refusals = new ConcurrentHashMap<>();
        private volatile boolean failReads;
        /** Run once, inside the next committed read, after it has read the voucher. */
        private volatile Runnable duringNextRead;
        private final AtomicInteger committedReads = new AtomicInteger();

        void commit(VoucherState voucher) {
            committed.put(voucher.getVoucherId(), voucher);
        }

        void refuse(String voucherId, String requestId) {
            refusals.put(requestId, RequestRefusal.newBuilder()
                    .setRequestId(requestId).setVoucherId(voucherId).setCustomerId("bob")
                    .setRequestedAt(NOW).setRefusedAt(NOW).setReason("VOUCHER_NOT_REDEEMABLE")
                    .build());
        }

        @Override
        public VoucherAnswer voucher(String voucherId, String requestId) {
            committedReads.incrementAndGet();
            VoucherAnswer answer = read(voucherId, requestId);
            Runnable during = duringNextRead;
            if (during != null) {
                duringNextRead = null;
                during.run();
            }
            return answer;
        }

        @Override
        public VoucherAnswer uncommittedVoucher(String voucherId, String requestId) {
            return read(voucherId, requestId);
        }

        private VoucherAnswer read(String voucherId, String requestId) {
            if (failReads) {
                throw new IllegalStateException("the voucher's partition moved");
            }
            return new VoucherAnswer(committed.get(voucherId), requestId == null ? null : refusals.get(requestId));
        }
    }
}
