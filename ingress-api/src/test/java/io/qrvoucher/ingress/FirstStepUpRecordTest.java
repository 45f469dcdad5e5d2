package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;
import reactor.core.publisher.Mono;

/**
 * Under FIRST_TIME_ONLY the first confirmed voucher also records that the customer confirmed one, a second record
 * published after the voucher's request. Once the request is published, the voucher goes on whatever becomes of
 * that record: the answer is the voucher's, never "nothing was recorded".
 */
@Import(FirstStepUpRecordTest.SettingsTopicRefusingFirstStepUps.class)
class FirstStepUpRecordTest extends IngressTestBase {

    @TestConfiguration
    static class SettingsTopicRefusingFirstStepUps {

        @Bean(destroyMethod = "close")
        @Primary
        RequestPublisher refusingFirstStepUps(IngressProperties properties, KafkaConnection kafkaConnection,
                                              Tracer tracer, Propagator propagator) {
            return new RequestPublisher(properties, kafkaConnection, new KafkaTracing(tracer, propagator)) {
                @Override
                public Mono<RecordMetadata> publish(SettingsChange change) {
                    return change.getFirstStepUpAt() != null
                            ? Mono.error(new IllegalStateException("the settings topic refused the record"))
                            : super.publish(change);
                }
            };
        }
    }

    @Test
    void aVoucherWhoseFirstStepUpCannotBeRecordedIsStillAnsweredAndIssued() {
        String customer = "first-timer-" + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, 100_00L);
        ApiClient firstTimer = new ApiClient(http, customer);
        firstTimer.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "FIRST_TIME_ONLY")).exchange()
                .expectStatus().isOk().expectBody(Void.class);

        Map<String, Object> voucher = firstTimer.issuedVoucher("2.50");

        assertThat(voucher).containsEntry("amount", "2.50");
        firstTimer.get("/api/vouchers/" + voucher.get("id")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UNUSED");
    }
}
