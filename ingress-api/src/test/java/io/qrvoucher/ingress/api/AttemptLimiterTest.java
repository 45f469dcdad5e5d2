package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.ingress.IngressTestBase;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.time.SteppedClock;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

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

    /** A burst of uploads sent at once: each counted before the next is checked, so no more pass than the limit. */
    @Test
    void uploadsSentAtOnceAreLetInNoMoreThanTheLimit() {
        AttemptLimiter limiter = new AttemptLimiter(new AttemptLimiter.Rule(AttemptKind.PICTURE_UPLOAD, 3, WINDOW,
                "TOO_MANY_PICTURES", "pictures"), reads, publisher, Clock.systemUTC());
        String customer = "uploader-" + UUID.randomUUID();

        List<Boolean> letIn = Flux.range(0, 12)
                .flatMap(i -> limiter.take(customer).thenReturn(true)
                        .onErrorResume(ApiException.class, refused -> Mono.just(false)), 12)
                .collectList().block(Duration.ofSeconds(30));

        assertThat(letIn).filteredOn(Boolean::booleanValue).hasSize(3);
    }
}
