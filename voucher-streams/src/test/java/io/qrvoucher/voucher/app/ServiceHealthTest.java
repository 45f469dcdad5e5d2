package io.qrvoucher.voucher.app;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Health says what is true: UP with a running topology and a broker, DOWN once the broker is gone. */
class ServiceHealthTest {

    @Test
    void healthGoesDownWhenTheBrokerStops(@TempDir Path stateDir) {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 3, "voucher-requests", "ledger-results",
                "ledger-commands", "voucher-events", "customer-vouchers", "voucher-dead-letters");
        broker.brokerProperties(Map.of("transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1", "offsets.topic.replication.factor", "1",
                "group.initial.rebalance.delay.ms", "0"));
        broker.afterPropertiesSet();
        try (ConfigurableApplicationContext service = VoucherStreamsApplication.builder().run("--server.port=0",
                "--voucher.bootstrap-servers=" + broker.getBrokersAsString(), "--voucher.state-dir=" + stateDir)) {
            int port = ((WebServerApplicationContext) service).getWebServer().getPort();
            WebTestClient http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
                    .responseTimeout(Duration.ofSeconds(10)).build();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> http.get().uri("/actuator/health/readiness")
                    .exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.components.voucherStreams.details.state").isEqualTo("RUNNING"));

            broker.destroy();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> http.get().uri("/actuator/health")
                    .exchange().expectStatus().isEqualTo(503)
                    .expectBody().jsonPath("$.components.kafkaBroker.status").isEqualTo("DOWN"));
        }
    }
}
