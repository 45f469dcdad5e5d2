package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.WebFilter;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.IngressTestBase;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;
import io.qrvoucher.time.SteppedClock;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

class AttemptLimiterTest extends IngressTestBase {

    private static final Duration WINDOW = Duration.ofMinutes(10);

    @Autowired
    VoucherReads reads;

    @Autowired
    RequestPublisher publisher;

    @Autowired
    IngressProperties properties;

    @Autowired
    KafkaConnection kafkaConnection;

    @Autowired
    Tracer tracer;

    @Autowired
    Propagator propagator;

    /** The request failed with nothing done but the attempt's count: to be sent again, not looked into first. */
    @Test
    void anAttemptTheBrokerDidNotTakeIsRefusedForNowToBeSentAgain() {
        try (RequestPublisher brokerAway = new RequestPublisher(properties, kafkaConnection,
                new KafkaTracing(tracer, propagator)) {
            @Override
            public Mono<RecordMetadata> publish(CustomerAttempt attempt) {
                return Mono.error(new NotPublishedException(new TimeoutException("no broker answered")));
            }
        }) {
            AttemptLimiter limiter = new AttemptLimiter(new AttemptLimiter.Rule(AttemptKind.PICTURE_UPLOAD, 3, WINDOW,
                    "TOO_MANY_PICTURES", "pictures"), reads, brokerAway, Clock.systemUTC());
            String customer = "uncounted-" + UUID.randomUUID();
            for (Mono<Void> attempt : List.of(limiter.take(customer), limiter.record(customer))) {
                assertThatThrownBy(() -> attempt.block(Duration.ofSeconds(10)))
                        .isInstanceOfSatisfying(ApiException.class, refusal -> {
                            assertThat(refusal.getStatusCode().value()).isEqualTo(503);
                            assertThat(refusal.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("1");
                        });
            }
        }
    }

    @Test
    void aCustomerLeavesTheInstancesCountOnceTheirAttemptsAreOutOfTheWindow() {
        SteppedClock clock = new SteppedClock(Instant.parse("2026-12-03T08:00:00Z"));
        AttemptLimiter limiter = new AttemptLimiter(new AttemptLimiter.Rule(AttemptKind.PICTURE_UPLOAD, 3, WINDOW,
                "TOO_MANY_PICTURES", "pictures"), reads, publisher, clock);
        for (int i = 0; i < 50; i++) {
            limiter.record("once-" + i).block(Duration.ofSeconds(10));
        }
        clock.step(WINDOW.minusSeconds(1));
        limiter.record("recent").block(Duration.ofSeconds(10));

        assertThat(limiter.customersCountedHere()).isEqualTo(51);
        clock.step(Duration.ofSeconds(2));
        assertThat(limiter.customersCountedHere()).isOne();
    }

    /** Wrong codes sent at once: each counts from the moment it is let in, so no more fail than the limit. */
    @Test
    void wrongCodesSentAtOnceAreLetInNoMoreThanTheLimitAndAttemptsThatDidNotFailNeverCount() {
        AttemptLimiter limiter = new AttemptLimiter(new AttemptLimiter.Rule(AttemptKind.FAILED_REDEMPTION, 3, WINDOW,
                "TOO_MANY_WRONG_CODES", "wrong codes"), reads, publisher, Clock.systemUTC());
        WebFilter eachRequest = AttemptLimiter.undecidedAttempts();
        String guesser = "guesser-" + UUID.randomUUID();
        String payee = "payee-" + UUID.randomUUID();

        List<Boolean> wrongCodesLetIn = Flux.range(0, 12)
                .flatMap(i -> request(eachRequest, limiter.checkAllowed(guesser)
                        .then(Mono.delay(Duration.ofMillis(50))).then(limiter.record(guesser))), 12)
                .collectList().block(Duration.ofSeconds(30));
        List<Boolean> redemptionsLetIn = Flux.range(0, 12)
                .flatMap(i -> request(eachRequest, limiter.checkAllowed(payee)
                        .then(limiter.decided()).then(Mono.delay(Duration.ofMillis(50)))), 12)
                .collectList().block(Duration.ofSeconds(30));

        assertThat(wrongCodesLetIn).filteredOn(Boolean::booleanValue).hasSize(3);
        assertThat(redemptionsLetIn).as("none failed, none counted: beyond the limit at once, they waited their turn")
                .containsOnly(true).hasSize(12);
    }

    /** Whether the request's work was let in, run as the API runs it: within a request. */
    private static Mono<Boolean> request(WebFilter eachRequest, Mono<?> work) {
        return eachRequest.filter(MockServerWebExchange.from(MockServerHttpRequest.post("/api/redemptions")),
                        exchange -> work.then())
                .thenReturn(true).onErrorResume(ApiException.class, refused -> Mono.just(false));
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
