package io.qrvoucher.webhook.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

/** An answer carrying a signing secret prints without it: a log line (an encoder's at DEBUG, say) would keep it. */
class SecretsInRecordsTest {

    @Test
    void anEndpointOrASecretRotationPrintsWithoutItsSecret() {
        Endpoint endpoint = new Endpoint("endpoint-1", "https://receiver.example/hooks", List.of("ISSUED"),
                Instant.EPOCH, null, null, "whsec-endpoint-secret");
        SecretRotation rotation = new SecretRotation("endpoint-1", "whsec-rotated-secret", Instant.EPOCH, Instant.EPOCH);

        assertThat(endpoint.toString()).contains("endpoint-1", "https://receiver.example/hooks")
                .doesNotContain("whsec-endpoint-secret");
        assertThat(rotation.toString()).contains("endpoint-1").doesNotContain("whsec-rotated-secret");
    }
}
