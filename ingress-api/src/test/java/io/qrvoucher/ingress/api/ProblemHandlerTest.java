package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.ingress.kafka.RequestPublisher.NotPublishedException;
import io.qrvoucher.ingress.reads.VoucherReads;
import reactor.core.publisher.Mono;

/** How a write not confirmed as done is answered: whether it may be sent again depends on its key and its method. */
class ProblemHandlerTest {

    private final WebTestClient api = WebTestClient.bindToController(new Unconfirmed())
            .controllerAdvice(new ProblemHandler()).build();

    @Test
    void aKeyedRequestNotConfirmedAsRecordedIsToBeSentAgainWithItsKey() {
        api.post().uri("/api/vouchers").header("Idempotency-Key", "k1").exchange()
                .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                .expectHeader().exists("Retry-After")
                .expectBody().jsonPath("$.detail").value(detail -> assertThat(
                        detail.toString()).contains("Send it again as it was"));
    }

    /** A PUT sets the same fields again: safe to send again as it was, key or not. */
    @Test
    void anUnkeyedPutNotConfirmedAsRecordedIsToBeSentAgain() {
        api.put().uri("/api/settings").exchange()
                .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                .expectHeader().exists("Retry-After")
                .expectBody().jsonPath("$.detail").value(detail -> assertThat(detail.toString())
                        .contains("Send it again as it was"));
    }

    /**
     * Told to send it again — or given a Retry-After, on which a generic client sends it again by itself — a client
     * without a key would make a second voucher if the first was written after all.
     */
    @Test
    void anUnkeyedRequestNotConfirmedAsRecordedIsNotToBeSentAgainBlindly() {
        api.post().uri("/api/vouchers").exchange()
                .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                .expectHeader().doesNotExist("Retry-After")
                .expectBody().jsonPath("$.detail").value(detail -> assertThat(
                        detail.toString()).contains("it may have been").doesNotContain("Send it again as it was"));
    }

    /** A webhook endpoint registered without a key, not confirmed: sent again by a generic client, it would be two. */
    @Test
    void anUnkeyedPostWhoseOwnerDidNotConfirmItIsGivenNoRetryAfterAndAKeyedOneIs() {
        api.post().uri("/api/webhooks").exchange()
                .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                .expectHeader().doesNotExist("Retry-After")
                .expectBody().jsonPath("$.detail").value(detail -> assertThat(detail.toString())
                        .contains("Look at your webhook endpoints"));
        api.post().uri("/api/webhooks").header("Idempotency-Key", "k2").exchange()
                .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                .expectHeader().exists("Retry-After");
    }

    @RestController
    static final class Unconfirmed {

        @PostMapping("/api/vouchers")
        Mono<String> generate() {
            return unconfirmed();
        }

        @PutMapping("/api/settings")
        Mono<String> changeSettings() {
            return unconfirmed();
        }

        @PostMapping("/api/webhooks")
        Mono<String> register() {
            return Mono.error(new VoucherReads.Unconfirmed("No webhook delivery service confirmed a POST",
                    "Look at your webhook endpoints before sending it again."));
        }

        private static Mono<String> unconfirmed() {
            return Mono.error(new NotPublishedException(new IOException("no acknowledgement within 10 s")));
        }
    }
}
