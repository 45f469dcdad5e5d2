package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.TraceContext;

/**
 * What operators see: the trace of a request through every hop, health, and metrics, these on the
 * management port only.
 */
class OperationsTest extends IngressTestBase {

    @LocalManagementPort
    int managementPort;

    @Test
    void theTraceOfAnHttpRequestReachesTheEventsOfItsVoucherThroughTheTopologyAndTheLedger() {
        String trace = TraceContext.newTrace();

        String voucherId = (String) body(alice.post("/api/vouchers").header(TraceContext.HEADER, trace)
                .header("Prefer", "wait=20")
                .bodyValue(Map.of("accountId", "alice-cny", "amount", "1.11", "currency", "CNY"))
                .exchange()
                .expectStatus().isOk()
                .expectHeader().value(TraceContext.HEADER, carried ->
                        assertThat(TraceContext.traceIdOf(carried)).isEqualTo(TraceContext.traceIdOf(trace)))).get("id");

        // ISSUED follows the ledger's result, which follows the topology's freeze command, which follows the request.
        try (KafkaConsumer<String, byte[]> events = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, RealPipeline.start().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "trace-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
            events.subscribe(List.of("voucher-events"));
            AvroSerde<VoucherEvent> serde = AvroSerde.of(VoucherEvent.class);
            ConsumerRecord<String, byte[]>[] issued = new ConsumerRecord[1];
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, byte[]> record : events.poll(Duration.ofMillis(200))) {
                    if (record.key().equals(voucherId) && serde.decode(record.value()).getType() == VoucherEventType.ISSUED) {
                        issued[0] = record;
                    }
                }
                return issued[0] != null;
            });
            assertThat(TraceContext.of(issued[0].headers()).map(TraceContext::traceIdOf)).contains(TraceContext.traceIdOf(trace));
        }
    }

    @Test
    void theActuatorIsNotServedOnTheApiPort() {
        for (String endpoint : List.of("/actuator", "/actuator/health", "/actuator/health/readiness", "/actuator/prometheus",
                "/actuator/metrics/jvm.memory.used")) {
            http.get().uri(endpoint).exchange().expectStatus().isNotFound();
        }
    }

    @Test
    void healthAndReadinessReflectTheBrokerOnTheManagementPortWithoutDetails() {
        management().get().uri("/actuator/health").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("UP")
                .jsonPath("$.components.kafkaBroker.status").isEqualTo("UP")
                .jsonPath("$.components.kafkaBroker.details").doesNotExist()
                .jsonPath("$.components.ingressView").doesNotExist();
        management().get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
    }

    @Test
    void metricsAreExposedForPrometheusOnTheManagementPort() {
        alice.get("/api/accounts").exchange().expectStatus().isOk();
        alice.issuedVoucher("1.00");

        management().get().uri("/actuator/prometheus").exchange()
                .expectStatus().isOk()
                .expectBody(String.class).value(metrics -> {
                    assertThat(metrics).contains("http_server_requests_seconds");
                    assertThat(metrics).as("its Kafka clients' own metrics: the producer, the health check's admin client")
                            .contains("kafka_producer_record_send_total", "kafka_admin_client_request_total");
                    assertThat(metrics).as("the ingress keeps no view to size").doesNotContain("ingress_view");
                });
    }

    private WebTestClient management() {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + managementPort).build();
    }
}
