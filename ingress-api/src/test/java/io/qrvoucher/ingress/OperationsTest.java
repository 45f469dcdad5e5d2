package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.schemas.AvroSerde;

/**
 * What operators see: the trace of a request through every hop, health, and metrics, these on the
 * management port only.
 */
class OperationsTest extends IngressTestBase {

    private static final String TRACEPARENT = "traceparent";
    /** The span of the caller's own work that sent the request. */
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    @LocalManagementPort
    int managementPort;

    @Test
    void theTraceOfAnHttpRequestReachesTheEventsOfItsVoucherThroughTheTopologyAndTheLedger() {
        String traceId = newTraceId();

        String voucherId = (String) body(alice.post("/api/vouchers").header(TRACEPARENT, traceparent(traceId, CALLER_SPAN))
                .header("Prefer", "wait=20")
                .bodyValue(Map.of("accountId", "alice-cny", "amount", "1.11", "currency", "CNY"))
                .exchange()
                .expectStatus().isOk()
                .expectHeader().value(TRACEPARENT, answered -> assertThat(traceIdOf(answered)).isEqualTo(traceId))).get("id");

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
            Header carried = issued[0].headers().lastHeader(TRACEPARENT);
            assertThat(traceIdOf(new String(carried.value(), StandardCharsets.UTF_8))).isEqualTo(traceId);
        }
    }

    @Test
    void aRedemptionIsOneTraceAcrossTheIngressVoucherStreamsTheLedgerAndTheWebhookDelivery() {
        try (WebhooksTest.Receiver bobs = new WebhooksTest.Receiver()) {
            Object endpoint = body(bob.post("/api/webhooks").bodyValue(Map.of("url", bobs.url(), "eventTypes", List.of("REDEEMED")))
                    .exchange().expectStatus().isCreated()).get("id");
            try {
                assertRedemptionIsOneTrace();
            } finally {
                bob.delete("/api/webhooks/" + endpoint).exchange().expectStatus().isNoContent().expectBody(Void.class);
            }
        }
    }

    private void assertRedemptionIsOneTrace() {
        Map<String, Object> voucher = alice.issuedVoucher("1.20");
        String traceId = newTraceId();

        bob.post("/api/redemptions").header(TRACEPARENT, traceparent(traceId, CALLER_SPAN)).header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny")).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED");

        // The webhook delivery's spans: the recording of bob's REDEEMED delivery, and the attempt that sent it.
        AttributeKey<String> service = AttributeKey.stringKey("service.name");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(CapturedSpans.ofTrace(traceId))
                .extracting(span -> span.getResource().getAttribute(service))
                .contains("ingress-api", "voucher-streams", "ledger-adapter", "webhook-delivery"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(CapturedSpans.ofTrace(traceId))
                .anySatisfy(span -> {
                    assertThat(span.getName()).isEqualTo("webhook delivery");
                    assertThat(span.getAttributes().get(AttributeKey.booleanKey("webhook.delivered"))).isTrue();
                }));
        List<SpanData> trace = CapturedSpans.ofTrace(traceId);
        Set<String> spanIds = trace.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
        // One tree under the caller's span: no hop started a trace of its own or lost its parent.
        assertThat(trace).allSatisfy(span -> assertThat(span.getParentSpanId()).as(span.getName())
                .satisfiesAnyOf(parent -> assertThat(parent).isEqualTo(CALLER_SPAN),
                        parent -> assertThat(spanIds).contains(parent)));
        assertThat(trace).anySatisfy(span -> assertThat(span.getName()).isEqualTo("apply-voucher-inputs"));
        // The ingress's reads of the voucher's owner too: its internal API's side of each is in the caller's trace.
        assertThat(trace).as("the owner's answer to the ingress's read").anySatisfy(span -> {
            assertThat(span.getResource().getAttribute(service)).isEqualTo("voucher-streams");
            assertThat(span.getName()).contains("/internal/vouchers");
        });
        // The request's span, not one for each filter of Spring Security's chain.
        assertThat(trace).extracting(SpanData::getName)
                .noneMatch(name -> name.startsWith("security") || name.startsWith("secured") || name.startsWith("authorize")
                        || name.startsWith("authenticate"));
    }

    private static String newTraceId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static String traceparent(String traceId, String parentSpanId) {
        return "00-" + traceId + "-" + parentSpanId + "-01";
    }

    private static String traceIdOf(String traceparent) {
        return traceparent.split("-")[1];
    }

    @Test
    void theActuatorIsNotServedOnTheApiPort() {
        for (String endpoint : List.of("/actuator", "/actuator/health", "/actuator/health/readiness", "/actuator/prometheus",
                "/actuator/metrics/jvm.memory.used")) {
            http.get().uri(endpoint).exchange().expectStatus().isNotFound().expectBody(Void.class);
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
        management().get().uri("/actuator/health/readiness").exchange().expectStatus().isOk().expectBody(Void.class);
    }

    @Test
    void metricsAreExposedForPrometheusOnTheManagementPort() {
        alice.get("/api/accounts").exchange().expectStatus().isOk().expectBody(Void.class);
        alice.issuedVoucher("1.00");

        management().get().uri("/actuator/prometheus").exchange()
                .expectStatus().isOk()
                .expectBody(String.class).value(metrics -> {
                    assertThat(metrics).contains("http_server_requests_seconds");
                    assertThat(metrics).as("its Kafka clients' own metrics: the producer, the health check's admin client")
                            .contains("kafka_producer_record_send_total", "kafka_admin_client_request_total");
                    assertThat(metrics).as("the ingress keeps no view to size").doesNotContain("ingress_view");
                    assertThat(metrics).as("internal calls timed by what they ask, a long poll apart from a list")
                            .contains("uri=\"/internal/vouchers/{voucher}\"", "uri=\"/internal/customers/{customer}/accounts\"");
                });
    }

    private WebTestClient management() {
        // A scrape holds a histogram per URI and status the tests have touched: more than a client's 256 KB default.
        return WebTestClient.bindToServer().codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(4 << 20))
                .baseUrl("http://localhost:" + managementPort).build();
    }
}
