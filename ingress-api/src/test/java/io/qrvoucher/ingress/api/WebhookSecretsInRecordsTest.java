package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.qrvoucher.ingress.reads.WebhookEndpoints;

/** The webhook answers that carry a signing secret print without it: a codec's log line at DEBUG would keep it. */
class WebhookSecretsInRecordsTest {

    @Test
    void anEndpointOrASecretRotationPrintsWithoutItsSecretAsTheOwnerAnswersItAndAsTheClientGetsIt() {
        WebhookEndpoints.Endpoint endpoint = new WebhookEndpoints.Endpoint("endpoint-1", "https://receiver.example/hooks",
                List.of("REDEEMED"), Instant.EPOCH, null, null, "whsec-endpoint-secret");
        WebhookEndpoints.SecretRotation rotation = new WebhookEndpoints.SecretRotation("endpoint-1", "whsec-rotated-secret",
                Instant.EPOCH, Instant.EPOCH);

        for (Object answer : List.of(endpoint, rotation, WebhookDtos.Endpoint.of(endpoint),
                WebhookDtos.SecretRotation.of(rotation))) {
            assertThat(answer.toString()).as(answer.getClass().getName()).contains("endpoint-1")
                    .doesNotContain("whsec-endpoint-secret").doesNotContain("whsec-rotated-secret");
        }
    }
}
