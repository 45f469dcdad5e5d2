package io.qrvoucher.ingress.reads;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import reactor.core.publisher.Mono;

/** A read after its request was published never turns the request's answer into a failure a client would resend on. */
class VoucherReadsAfterPublishedTest {

    @Test
    void aReadAfterPublishingThatFailsHoweverItFailsFindsNothingAndOneThatAnswersIsKept() {
        assertThat(VoucherReads.afterPublished(Mono.error(new VoucherReads.Unavailable("no holder answered")))
                .blockOptional(Duration.ofSeconds(1))).isEmpty();
        assertThat(VoucherReads.afterPublished(Mono.error(new IllegalStateException("a fault of the owner")))
                .blockOptional(Duration.ofSeconds(1))).isEmpty();
        assertThat(VoucherReads.afterPublished(Mono.just("UNUSED")).block(Duration.ofSeconds(1))).isEqualTo("UNUSED");
    }
}
