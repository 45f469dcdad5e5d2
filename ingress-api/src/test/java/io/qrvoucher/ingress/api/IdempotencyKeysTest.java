package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.http.HttpHeaders;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.IngressTestBase;
import io.qrvoucher.ingress.RealPipeline;
import io.qrvoucher.ingress.TestIngressProperties;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;
import reactor.test.StepVerifier;

class IdempotencyKeysTest extends IngressTestBase {

    @Autowired
    VoucherReads reads;

    /** Published, but not known to the key's owner in time: a 503 to retry, not a 500. */
    @Test
    void aClaimTheOwnerDoesNotKnowInTimeIsTemporarilyUnavailable() {
        // The owner answers within milliseconds now, so "in time" cannot be left to a race: this claim goes
        // where the owner never reads it, as a claim does whose owner is stalled.
        String unread = "claims-nobody-reads-" + UUID.randomUUID();
        RealPipeline pipeline = RealPipeline.start();
        pipeline.createUnreadTopic(unread);
        IngressProperties properties = TestIngressProperties.withBroker(pipeline.bootstrapServers(),
                Map.of("ingress.topics.idempotency", unread));

        try (RequestPublisher unheard = new RequestPublisher(properties,
                KafkaConnection.of(new KafkaProperties(), properties.bootstrapServers()), KafkaTracing.untraced())) {
            IdempotencyKeys keys = new IdempotencyKeys(reads, unheard, Duration.ofMillis(200));

            StepVerifier.create(keys.resolve("alice", "key-" + UUID.randomUUID(), "hash", IdempotencyKeys.Ids.fresh("v1")))
                    .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ApiException.class, refusal -> {
                        assertThat(refusal.getStatusCode().value()).isEqualTo(503);
                        assertThat(refusal.code()).isEqualTo("TEMPORARILY_UNAVAILABLE");
                        assertThat(refusal.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("1");
                    }))
                    .verify(Duration.ofSeconds(30));
        }
    }

    @Test
    void aStepUpRefusalAnswersOnlyForTheRequestItRefused(@Autowired RequestPublisher publisher) {
        IdempotencyKeys keys = new IdempotencyKeys(reads, publisher);
        String key = "key-" + UUID.randomUUID();
        IdempotencyKeys.Ids refused = IdempotencyKeys.Ids.fresh("v-refused");

        StepVerifier.create(keys.stillRefusedForStepUp("alice", key, refused.requestId())).verifyComplete();
        StepVerifier.create(keys.refuseForStepUp("alice", key, "hash", refused)).verifyComplete();

        StepVerifier.create(keys.stillRefusedForStepUp("alice", key, refused.requestId()))
                .expectErrorSatisfies(error -> assertThat(SignIns.isStepUpRefusal(error)).isTrue())
                .verify(Duration.ofSeconds(30));
        // The key used again once its window passed is another request; another customer's key is theirs.
        StepVerifier.create(keys.stillRefusedForStepUp("alice", key, IdempotencyKeys.Ids.fresh("v-later").requestId()))
                .verifyComplete();
        StepVerifier.create(keys.stillRefusedForStepUp("bob", key, refused.requestId())).verifyComplete();
        // The key sent with another request: its refusal cannot be kept beside the first, and is answered as the reuse.
        StepVerifier.create(keys.refuseForStepUp("alice", key, "another hash", IdempotencyKeys.Ids.fresh("v-another")))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ApiException.class,
                        reused -> assertThat(reused.code()).isEqualTo("IDEMPOTENCY_KEY_REUSED")))
                .verify(Duration.ofSeconds(30));
    }

    @Test
    void aKeysFirstStepUpOutcomeDecidesForEveryAttempt(@Autowired RequestPublisher publisher) {
        IdempotencyKeys keys = new IdempotencyKeys(reads, publisher);
        IdempotencyKeys.Ids request = IdempotencyKeys.Ids.fresh("v-" + UUID.randomUUID());
        IdempotencyKeys.StepUp confirmed = IdempotencyKeys.StepUp.confirmedBy("sid s1 auth_time 2026-12-05T10:00:00Z");
        String refusedFirst = "key-" + UUID.randomUUID();

        StepVerifier.create(keys.stepUpDecided("alice", refusedFirst, request)).expectNext(Optional.empty()).verifyComplete();
        StepVerifier.create(keys.decideStepUp("alice", refusedFirst, request, IdempotencyKeys.StepUp.REFUSED))
                .expectNext(IdempotencyKeys.StepUp.REFUSED).verifyComplete();
        // An attempt signed in afresh since: the request stays refused.
        StepVerifier.create(keys.decideStepUp("alice", refusedFirst, request, confirmed))
                .expectNext(IdempotencyKeys.StepUp.REFUSED).verifyComplete();
        StepVerifier.create(keys.stepUpDecided("alice", refusedFirst, request))
                .expectNext(Optional.of(IdempotencyKeys.StepUp.REFUSED)).verifyComplete();

        String confirmedFirst = "key-" + UUID.randomUUID();
        StepVerifier.create(keys.decideStepUp("alice", confirmedFirst, request, confirmed)).expectNext(confirmed)
                .verifyComplete();
        // An attempt whose sign-in is stale goes on with the request confirmed by the sign-in that decided it.
        StepVerifier.create(keys.decideStepUp("alice", confirmedFirst, request, IdempotencyKeys.StepUp.REFUSED))
                .expectNext(confirmed).verifyComplete();
        StepVerifier.create(keys.stepUpDecided("alice", confirmedFirst, request)).expectNext(Optional.of(confirmed))
                .verifyComplete();
        // The decision is the request's: another request with the key (its window passed) decides afresh.
        StepVerifier.create(keys.stepUpDecided("alice", confirmedFirst, IdempotencyKeys.Ids.fresh("v-later")))
                .expectNext(Optional.empty()).verifyComplete();
    }

    @Test
    void aStepUpDecisionReadsBackAsItWasClaimedAndAnyOtherAsARefusal() {
        for (IdempotencyKeys.StepUp decision : List.of(IdempotencyKeys.StepUp.REFUSED,
                IdempotencyKeys.StepUp.confirmedBy(null), IdempotencyKeys.StepUp.confirmedBy("sid a b auth_time 2026-12-05T10:00:00Z"))) {
            assertThat(IdempotencyKeys.StepUp.ofClaimed(decision.claimed())).isEqualTo(decision);
        }
        assertThat(IdempotencyKeys.StepUp.ofClaimed("confirmedly")).isEqualTo(IdempotencyKeys.StepUp.REFUSED);
        assertThat(IdempotencyKeys.StepUp.ofClaimed("")).isEqualTo(IdempotencyKeys.StepUp.REFUSED);
    }
}
