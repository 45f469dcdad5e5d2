package io.qrvoucher.ingress.kafka;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import io.qrvoucher.avro.CancelVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.ingress.IngressProperties;
import reactor.test.StepVerifier;

class RequestPublisherTest {

    @Test
    void aRequestTheBrokerDoesNotAcknowledgeFailsInsteadOfBeingAccepted() throws IOException {
        int nobodyListens;
        try (ServerSocket socket = new ServerSocket(0)) {
            nobodyListens = socket.getLocalPort();
        }
        IngressProperties properties = new IngressProperties("127.0.0.1:" + nobodyListens, null,
                new IngressProperties.Topics("voucher-requests", "voucher-events", "voucher-state", "account-snapshots",
                        "customer-settings", "ingress-idempotency"),
                new IngressProperties.Limits(Duration.ofSeconds(30), Duration.ofSeconds(1), DataSize.ofMegabytes(2), 5,
                        Duration.ofMinutes(10), 100, Duration.ofHours(24)),
                new IngressProperties.Security("iss", null, null, Duration.ofMinutes(5)),
                Map.of(), new BigDecimal("1000.00"));

        try (RequestPublisher publisher = new RequestPublisher(properties)) {
            StepVerifier.create(publisher.publish(new VoucherRequest("r", "v", "alice", Instant.now(), new CancelVoucher())))
                    .expectError(RequestPublisher.NotPublishedException.class)
                    .verify(Duration.ofSeconds(20));
        }
    }
}
