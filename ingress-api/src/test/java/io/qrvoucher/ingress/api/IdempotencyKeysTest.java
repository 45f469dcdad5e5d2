package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

import io.qrvoucher.ingress.RealPipeline;
import io.qrvoucher.ingress.TestIngressProperties;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.view.PipelineView;
import reactor.test.StepVerifier;

class IdempotencyKeysTest {

    /** Published, but not read back by this instance's view in time: a 503 to retry, not a 500. */
    @Test
    void aClaimThisInstanceCannotReadBackInTimeIsTemporarilyUnavailable() {
        PipelineView notReading = new PipelineView(Duration.ofHours(24), Clock.systemUTC());
        try (RequestPublisher publisher = new RequestPublisher(
                TestIngressProperties.withBroker(RealPipeline.start().bootstrapServers()))) {
            IdempotencyKeys keys = new IdempotencyKeys(notReading, publisher, Duration.ofMillis(500));

            StepVerifier.create(keys.resolve("alice", "key-1", "hash", IdempotencyKeys.Ids.fresh("v1")))
                    .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ApiException.class, refusal -> {
                        assertThat(refusal.getStatusCode().value()).isEqualTo(503);
                        assertThat(refusal.code()).isEqualTo("TEMPORARILY_UNAVAILABLE");
                        assertThat(refusal.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("1");
                    }))
                    .verify(Duration.ofSeconds(30));
        }
    }
}
