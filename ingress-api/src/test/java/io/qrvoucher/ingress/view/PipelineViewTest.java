package io.qrvoucher.ingress.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.VoucherEvent;

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
}
