package io.qrvoucher.ingress.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherRequest;
import reactor.core.publisher.Mono;

/** The view is rebuilt from several topics read in no order relative to each other. */
class PipelineViewTest {

    private final MovableClock clock = new MovableClock(Instant.parse("2026-11-26T10:00:00Z"));
    private final PipelineView view = new PipelineView(Duration.ofHours(24), clock);

    @Test
    void anIdempotencyKeyIsHeldByItsFirstClaimForTheClaimWindow() {
        view.apply(claim("k", "first", clock.instant()));
        clock.advance(Duration.ofHours(23));
        view.apply(claim("k", "second", clock.instant()));

        assertThat(view.firstClaim("alice", "k")).map(IdempotencyClaim::getClaimId).contains("first");
    }

    @Test
    void afterTheClaimWindowAKeyIsForgottenAndItsNextClaimIsFirst() {
        view.apply(claim("k", "first", clock.instant()));
        clock.advance(Duration.ofHours(25));

        assertThat(view.firstClaim("alice", "k")).isEmpty();

        view.apply(claim("k", "second", clock.instant()));

        assertThat(view.firstClaim("alice", "k")).map(IdempotencyClaim::getClaimId).contains("second");
    }

    @Test
    void expiredClaimsLeaveMemory() {
        view.apply(claim("old", "a", clock.instant()));
        clock.advance(Duration.ofHours(20));
        view.apply(claim("recent", "b", clock.instant()));
        clock.advance(Duration.ofHours(5));

        view.forgetExpiredClaims();

        assertThat(view.claimsHeld()).isEqualTo(1);
        assertThat(view.firstClaim("alice", "recent")).isPresent();
    }

    @Test
    void aPollThatReadNoNewClaimWakesNoWaiter() {
        AtomicInteger checks = new AtomicInteger();
        view.claimsReadUpTo(0, 5);
        view.awaitUntil(() -> checks.incrementAndGet() < 0).subscribe();
        int afterSubscribing = checks.get();

        view.claimsReadUpTo(0, 5);
        view.claimsReadUpTo(0, 5);
        assertThat(checks.get()).isEqualTo(afterSubscribing);

        view.claimsReadUpTo(0, 6);
        assertThat(checks.get()).isEqualTo(afterSubscribing + 1);
    }

    private static IdempotencyClaim claim(String key, String claimId, Instant at) {
        return new IdempotencyClaim(claimId, "alice", key, "hash", "request-" + claimId, "voucher-" + claimId, at);
    }

    private static final class MovableClock extends Clock {
        private Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void aRefusalReadBeforeItsRedemptionStillSettlesIt() {
        view.apply(new VoucherEvent("r1/refused", "v1", VoucherEventType.REQUEST_REFUSED, Instant.now(), "r1", "bob",
                "EXPIRED", null));

        view.apply(new VoucherRequest("r1", "v1", "bob", Instant.now(),
                new RedeemVoucher("hash", null, new OwnAccount("bob-cny"))));

        assertThat(view.redemption("r1")).hasValueSatisfying(redemption -> {
            assertThat(redemption.status()).isEqualTo(RedemptionView.Status.REJECTED);
            assertThat(redemption.reason()).isEqualTo("EXPIRED");
        });
    }

    @Test
    void aRedemptionReadBeforeItsOutcomeIsPendingUntilThen() {
        view.apply(new VoucherRequest("r2", "v2", "bob", Instant.now(),
                new RedeemVoucher("hash", null, new OwnAccount("bob-cny"))));

        assertThat(view.redemption("r2")).hasValueSatisfying(redemption ->
                assertThat(redemption.status()).isEqualTo(RedemptionView.Status.PENDING));

        view.apply(new VoucherEvent("r2/refused", "v2", VoucherEventType.REQUEST_REFUSED, Instant.now(), "r2", "bob",
                "ALREADY_REDEEMED", null));

        assertThat(view.redemption("r2").orElseThrow().status()).isEqualTo(RedemptionView.Status.REJECTED);
    }

    @Test
    void aWaitForOneVoucherWakesOnItsChangesOnlyAndLeavesNoWatchBehind() {
        AtomicInteger checks = new AtomicInteger();
        Mono<String> settled = view.await("v3", () -> {
            checks.incrementAndGet();
            return view.refusal("r3").map(VoucherEvent::getReason);
        }, Duration.ofSeconds(5));
        CompletableFuture<String> outcome = settled.toFuture();
        assertThat(view.watchedVouchers()).isEqualTo(1);
        assertThat(checks).hasValue(1);

        view.apply(new VoucherEvent("r4/refused", "v4", VoucherEventType.REQUEST_REFUSED, Instant.now(), "r4", "bob",
                "EXPIRED", null));
        assertThat(checks).as("another voucher's change is not this wait's business").hasValue(1);

        view.apply(new VoucherEvent("r3/refused", "v3", VoucherEventType.REQUEST_REFUSED, Instant.now(), "r3", "bob",
                "CANCELLED", null));
        assertThat(outcome).isCompletedWithValue("CANCELLED");
        assertThat(view.watchedVouchers()).isZero();
    }

    @Test
    void aWaitThatTimesOutLeavesNoWatchBehind() {
        assertThat(view.await("v5", Optional::empty, Duration.ofMillis(20)).blockOptional()).isEmpty();

        assertThat(view.watchedVouchers()).isZero();
    }
}
