package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;

import io.qrvoucher.ingress.IngressTestBase;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import reactor.test.StepVerifier;

class IdempotencyKeysTest extends IngressTestBase {

    @Autowired
    VoucherReads reads;

    @Autowired
    RequestPublisher publisher;

    /** Published, but not known to the key's owner in time: a 503 to retry, not a 500. */
    @Test
    void aClaimTheOwnerDoesNotKnowInTimeIsTemporarilyUnavailable() {
        IdempotencyKeys keys = new IdempotencyKeys(reads, publisher, Duration.ZERO);

        StepVerifier.create(keys.resolve("alice", "key-" + UUID.randomUUID(), "hash", IdempotencyKeys.Ids.fresh("v1")))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ApiException.class, refusal -> {
                    assertThat(refusal.getStatusCode().value()).isEqualTo(503);
                    assertThat(refusal.code()).isEqualTo("TEMPORARILY_UNAVAILABLE");
                    assertThat(refusal.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("1");
                }))
                .verify(Duration.ofSeconds(30));
    }
}
