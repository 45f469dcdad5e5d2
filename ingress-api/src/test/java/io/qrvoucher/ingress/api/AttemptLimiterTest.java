package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.ingress.IngressTestBase;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.time.SteppedClock;

class AttemptLimiterTest extends IngressTestBase {

    private static final Duration WINDOW = Duration.ofMinutes(10);

    @Autowired
    VoucherReads reads;

    @Autowired
    RequestPublisher publisher;

    @Test
    void aCustomerLeavesTheInstancesCountOnceTheirAttemptsAreOutOfTheWindow() {
        SteppedClock clock = new SteppedClock(Instant.parse("2026-12-03T08:00:00Z"));
        AttemptLimiter limiter = new AttemptLimiter(new AttemptLimiter.Rule(AttemptKind.PICTURE_UPLOAD, 3, WINDOW,
                "TOO_MANY_PICTURES", "pictures"), reads, publisher, clock);
        for (int i = 0; i < 50; i++) {
            limiter.record("once-" + i); // counted here at once; what it publishes is not needed here
        }
        clock.step(WINDOW.minusSeconds(1));
        limiter.record("recent");

        assertThat(limiter.customersCountedHere()).isEqualTo(51);
        clock.step(Duration.ofSeconds(2));
        assertThat(limiter.customersCountedHere()).isOne();
    }
}
