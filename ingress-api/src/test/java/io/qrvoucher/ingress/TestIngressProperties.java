package io.qrvoucher.ingress;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;

import org.springframework.util.unit.DataSize;

/** The ingress's defaults, bound by hand for tests that build its parts without Spring. */
public final class TestIngressProperties {

    private TestIngressProperties() {
    }

    public static IngressProperties withBroker(String bootstrapServers) {
        return new IngressProperties(bootstrapServers, null,
                new IngressProperties.Topics("voucher-requests", "voucher-events", "voucher-state", "account-snapshots",
                        "customer-settings", "ingress-idempotency"),
                new IngressProperties.Limits(Duration.ofSeconds(30), Duration.ofSeconds(1), DataSize.ofMegabytes(2), 5,
                        Duration.ofMinutes(10), 100, Duration.ofHours(24)),
                new IngressProperties.Security("iss", null, null, Duration.ofMinutes(5)),
                Map.of(), new BigDecimal("1000.00"));
    }
}
