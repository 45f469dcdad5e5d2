package io.qrvoucher.voucher.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.keys.TestKeys;
import io.qrvoucher.schemas.Topics;

/**
 * Health says what is true: UP with a running topology and a broker, DOWN once the broker is gone, and then that the
 * instance refuses reads.
 */
class ServiceHealthTest {

    /** Its keys come from a folder of secret files, as Docker and Kubernetes mount them (SECRETS_DIR). */
    @Test
    void healthGoesDownWhenTheBrokerStops(@TempDir Path stateDir, @TempDir Path secrets) throws java.io.IOException {
        java.nio.file.Files.writeString(secrets.resolve("voucher.request-signing.keys.k1"), VoucherStreamsBrokerTest.SIGNING_KEY);
        java.nio.file.Files.writeString(secrets.resolve("internal-api.keys.k1"), TestKeys.VOUCHER_STREAMS_INTERNAL_KEY);
        try (TestBroker broker = TestBroker.start(3, Topics.names().toArray(String[]::new));
             ConfigurableApplicationContext service = VoucherStreamsApplication.builder().run("--server.port=0",
                     "--management.server.port=0",
                     "--voucher.bootstrap-servers=" + broker.bootstrapServers(), "--voucher.state-dir=" + stateDir, "--SECRETS_DIR=" + secrets + "/")) {
            int port = ((WebServerApplicationContext) service).getWebServer().getPort();
            String managementPort = service.getEnvironment().getProperty("local.management.port");
            WebTestClient http = WebTestClient.bindToServer().baseUrl("http://localhost:" + managementPort)
                    .responseTimeout(Duration.ofSeconds(10)).build();
            WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build().get().uri("/actuator/health")
                    .exchange().expectStatus().isNotFound();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> http.get().uri("/actuator/health/readiness")
                    .exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.components.voucherStreams.details.state").isEqualTo("RUNNING")
                    .jsonPath("$.components.voucherStreams.details.reads").isEqualTo("answered")
                    .jsonPath("$.components.internalApi.details.keys[0]").isEqualTo("k1"));

            broker.close();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> http.get().uri("/actuator/health")
                    .exchange().expectStatus().isEqualTo(503)
                    .expectBody().jsonPath("$.components.kafkaBroker.status").isEqualTo("DOWN")
                    .jsonPath("$.components.voucherStreams.details.reads").value(reads ->
                            assertThat((String) reads).startsWith("refused")));
        }
    }
}
