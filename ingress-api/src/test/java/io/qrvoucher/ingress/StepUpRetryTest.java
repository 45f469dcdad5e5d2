package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A generation's step-up is decided once for its Idempotency-Key, and a retry follows the decision: also while the
 * first attempt's voucher is on its way and not readable yet, as when the first attempt's answer was lost and the
 * app retries with a token whose sign-in has gone stale since.
 */
@Import(StepUpRetryTest.FirstGenerationHeld.class)
class StepUpRetryTest extends IngressTestBase {

    private static final String HELD_CUSTOMERS = "held-";
    private static final CountDownLatch HELD = new CountDownLatch(1);
    private static final Sinks.Empty<Void> RELEASED = Sinks.empty();

    /** Holds the publishing of the first generation of a customer named "held-…" until the test releases it. */
    @TestConfiguration
    static class FirstGenerationHeld {

        @Bean(destroyMethod = "close")
        @Primary
        RequestPublisher holdingTheFirstGeneration(IngressProperties properties, KafkaConnection kafkaConnection,
                                                   Tracer tracer, Propagator propagator) {
            AtomicBoolean holding = new AtomicBoolean(true);
            return new RequestPublisher(properties, kafkaConnection, new KafkaTracing(tracer, propagator)) {
                @Override
                public Mono<RecordMetadata> publish(VoucherRequest request) {
                    if (request.getCustomerId().startsWith(HELD_CUSTOMERS) && request.getBody() instanceof GenerateVoucher
                            && holding.compareAndSet(true, false)) {
                        HELD.countDown();
                        return RELEASED.asMono().then(super.publish(request));
                    }
                    return super.publish(request);
                }
            };
        }
    }

    @Test
    void aRetryWithAStaleSignInGoesOnWithTheVoucherItsFirstAttemptConfirmed() throws Exception {
        String customer = HELD_CUSTOMERS + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, 100_00L);
        ApiClient signedIn = new ApiClient(http, customer);
        signedIn.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "EVERY_TIME")).exchange().expectStatus().isOk()
                .expectBody(Void.class);
        Map<String, Object> request = Map.of("accountId", customer + "-cny", "amount", "1.00", "currency", "CNY");
        String key = UUID.randomUUID().toString();

        CompletableFuture<Map<?, ?>> first = CompletableFuture.supplyAsync(() -> generated(signedIn, key, request));
        try {
            assertThat(HELD.await(30, TimeUnit.SECONDS)).as("the first attempt confirmed and publishing").isTrue();
            ApiClient staleSignIn = new ApiClient(http, customer).signedInAgo(Duration.ofHours(2));

            Map<?, ?> retried = generated(staleSignIn, key, request);

            assertThat(retried.get("status")).isEqualTo("UNUSED");
            RELEASED.tryEmitEmpty();
            assertThat(first.get(60, TimeUnit.SECONDS).get("id")).isEqualTo(retried.get("id"));
        } finally {
            RELEASED.tryEmitEmpty();
        }
        List<?> vouchers = (List<?>) signedIn.get("/api/vouchers").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody().get("items");
        assertThat(vouchers).hasSize(1);
    }

    private static Map<?, ?> generated(ApiClient client, String key, Map<String, Object> request) {
        return client.post("/api/vouchers").header("Idempotency-Key", key).header("Prefer", "wait=20")
                .bodyValue(request).exchange()
                .expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
    }
}
