package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

import io.qrvoucher.ingress.codes.VoucherCodes;

/**
 * A counter code is good for a minute; a redemption made with it in time and retried with its Idempotency-Key after
 * that (the client lost the answer, the payee's phone slept) is answered as the first was. Only a new request with an
 * expired code is refused. The ingress's clock is moved on instead of waiting for the code to expire.
 */
@Import(CounterCodeRetryTest.MovedClock.class)
class CounterCodeRetryTest extends IngressTestBase {

    @TestConfiguration
    static class MovedClock {

        @Bean
        @Primary
        MovableClock movableClock() {
            return new MovableClock();
        }
    }

    @Autowired
    MovableClock clock;

    @AfterEach
    void putTheClockBack() {
        clock.runAheadBy(Duration.ZERO);
    }

    @Test
    void aRedemptionMadeInTimeIsAnsweredAgainWhenRetriedWithItsKeyAfterTheCodeExpired() {
        Map<String, Object> voucher = alice.issuedVoucher("3.10");
        String counterCode = (String) body(alice.get("/api/vouchers/" + voucher.get("id") + "/counter-code").exchange()
                .expectStatus().isOk()).get("code");
        String key = UUID.randomUUID().toString();
        Map<String, Object> request = Map.of("code", counterCode, "accountId", "bob-cny");
        Map<String, Object> first = body(bob.post("/api/redemptions").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());
        assertThat(first.get("status")).isEqualTo("SUCCEEDED");

        clock.runAheadBy(VoucherCodes.COUNTER_STEP.multipliedBy(3));

        Map<String, Object> retried = body(bob.post("/api/redemptions").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());
        assertThat(retried).containsEntry("id", first.get("id")).containsEntry("status", "SUCCEEDED")
                .containsEntry("amount", "3.10");
        bob.post("/api/redemptions").header("Idempotency-Key", UUID.randomUUID().toString()).bodyValue(request)
                .exchange().expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("CODE_EXPIRED");
    }

    @Test
    void anExpiredCounterCodeWithAKeyNeverUsedIsRefusedAndMovesNoMoney() {
        Map<String, Object> voucher = alice.issuedVoucher("3.20");
        String counterCode = (String) body(alice.get("/api/vouchers/" + voucher.get("id") + "/counter-code").exchange()
                .expectStatus().isOk()).get("code");

        clock.runAheadBy(VoucherCodes.COUNTER_STEP.multipliedBy(3));

        bob.post("/api/redemptions").header("Idempotency-Key", UUID.randomUUID().toString())
                .bodyValue(Map.of("code", counterCode, "accountId", "bob-cny")).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("CODE_EXPIRED");
        // Shown EXPIRED if the clock moved past its end (a run just before the bank's midnight): either way, not redeemed.
        assertThat(body(alice.get("/api/vouchers/" + voucher.get("id")).exchange().expectStatus().isOk())
                .get("status")).isIn("UNUSED", "EXPIRED");
    }

    /**
     * Past its end a voucher's codes are not served, also in the moment before its owner marks it EXPIRED (the
     * ingress's clock is moved past the end here: the owner, on the wall clock, still holds it UNUSED).
     */
    @Test
    void pastItsEndAVouchersCodesAreNotServedAndItIsShownExpiredBeforeItsOwnerMarksIt() {
        Map<String, Object> voucher = alice.issuedVoucher("3.30");
        String id = (String) voucher.get("id");
        alice.get("/api/vouchers/" + id + "/qr.png").exchange().expectStatus().isOk().expectBody(byte[].class);
        await().atMost(Duration.ofSeconds(10)).until(() -> unusedListed(id));

        clock.runAheadBy(Duration.between(Instant.now(), Instant.parse((String) voucher.get("expiresAt"))).plusSeconds(1));

        for (String codes : new String[] {"/qr.png", "/counter-code", "/counter-qr.png"}) {
            alice.get("/api/vouchers/" + id + codes).exchange()
                    .expectStatus().isEqualTo(409)
                    .expectBody().jsonPath("$.code").isEqualTo("VOUCHER_NOT_USABLE");
        }
        Map<String, Object> shown = body(alice.get("/api/vouchers/" + id).exchange().expectStatus().isOk());
        assertThat(shown).containsEntry("status", "EXPIRED").containsEntry("code", null);
        assertThat(unusedListed(id)).isFalse();
    }

    private boolean unusedListed(String id) {
        return ((java.util.List<?>) body(alice.get("/api/vouchers?status=UNUSED&size=100").exchange()
                .expectStatus().isOk()).get("items")).stream().anyMatch(item -> id.equals(((Map<?, ?>) item).get("id")));
    }

    /** The wall clock, or as far ahead of it as a test sets. */
    static final class MovableClock extends Clock {

        private volatile Duration ahead = Duration.ZERO;

        void runAheadBy(Duration duration) {
            ahead = duration;
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(ahead);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("The ingress reads instants only");
        }
    }
}
