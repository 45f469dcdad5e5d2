package io.qrvoucher.support.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** A service whose internal API would refuse every call is not ready; with a key it is. */
class InternalApiServerTest {

    private final InternalApiServer server = new InternalApiServer();

    @Test
    void withoutAKeyTheInternalApiIsOutOfService() {
        Health health = server.internalApiHealthIndicator(new InternalApi(Map.of("k1", " "), Map.of(),
                Duration.ofMinutes(1))).health();

        assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(health.getDetails()).containsKey("reason");
    }

    @Test
    void withAKeyItIsUpAndNamesItsKeysButNeverTheirValues() {
        Health health = server.internalApiHealthIndicator(new InternalApi(Map.of("k2", "a2V5LXR3bw==", "k1", "a2V5LW9uZQ==",
                "k3", ""), Map.of(), Duration.ofMinutes(1))).health();

        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails().get("keys")).asString().isEqualTo("[k1, k2]");
    }
}
