package io.qrvoucher.voucher.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.VoucherAnswer;

/** Long polls on the owner of a voucher, against a store the test writes and commits itself. */
class VoucherWatchesTest {

    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private final Store store = new Store();
    private final VoucherWatches watches = new VoucherWatches(store, new Ticks(Duration.ofMillis(5)),
            Duration.ofHours(1), Duration.ofMillis(100));

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

    private static VoucherState voucher(String voucherId, long version) {
        return VoucherState.newBuilder()
                .setVoucherId(voucherId).setPayerCustomerId("alice").setAccountId("alice-cny")
                .setFaceValueMinor(10_00).setCurrency("CNY").setCodeHash("hash")
                .setStatus(VoucherStatus.UNUSED).setHoldState(HoldState.HELD)
                .setCreatedAt(NOW).setExpiresAt(NOW.plusSeconds(3600)).setUpdatedAt(NOW).setVersion(version)
                .setGenerateRequestId("g1")
                .build();
    }

    /** Committed vouchers only: what is written is committed at once. */
    private static final class Store implements VoucherWatches.VoucherLookups {

        private final Map<String, VoucherState> committed = new ConcurrentHashMap<>();
        private volatile boolean failReads;

        void commit(VoucherState voucher) {
            committed.put(voucher.getVoucherId(), voucher);
        }

        @Override
        public VoucherAnswer voucher(String voucherId, String requestId) {
            if (failReads) {
                throw new IllegalStateException("the voucher's partition moved");
            }
            return new VoucherAnswer(committed.get(voucherId), null);
        }

        @Override
        public VoucherAnswer uncommittedVoucher(String voucherId, String requestId) {
            return voucher(voucherId, requestId);
        }
    }
}
