package io.qrvoucher.ingress.kafka;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

import io.qrvoucher.avro.CancelVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.TestIngressProperties;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;
import reactor.test.StepVerifier;

class RequestPublisherTest {

    @Test
    void aRequestTheBrokerDoesNotAcknowledgeFailsInsteadOfBeingAccepted() throws IOException {
        int nobodyListens;
        try (ServerSocket socket = new ServerSocket(0)) {
            nobodyListens = socket.getLocalPort();
        }
        IngressProperties properties = TestIngressProperties.withBroker("127.0.0.1:" + nobodyListens);

        try (RequestPublisher publisher = new RequestPublisher(properties,
                KafkaConnection.of(new KafkaProperties(), properties.bootstrapServers()), KafkaTracing.untraced())) {
            StepVerifier.create(publisher.publish(new VoucherRequest("r", "v", "alice", Instant.now(), new CancelVoucher())))
                    .expectError(RequestPublisher.NotPublishedException.class)
                    .verify(Duration.ofSeconds(20));
        }
    }
}
