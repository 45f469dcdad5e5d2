package io.qrvoucher.ingress;

import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.util.StringUtils;
import org.springframework.web.reactive.function.client.WebClient;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.qrvoucher.ingress.codes.QrCodes;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.AccountReads;
import io.qrvoucher.ingress.reads.InternalClients;
import io.qrvoucher.ingress.reads.StreamsRouting;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.ingress.reads.WebhookEndpoints;
import io.qrvoucher.support.BankRules;
import io.qrvoucher.support.KafkaBrokerHealthIndicator;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;
import io.qrvoucher.support.internal.InternalApi;
import io.qrvoucher.support.reads.ColocatedOwners;


/**
 * The ingress's Kafka clients are its own (no spring-kafka): it takes Boot's {@code spring.kafka.*} only for
 * the cluster's connection and security settings, so spring-kafka's auto-configuration stays out.
 */
@SpringBootApplication(exclude = KafkaAutoConfiguration.class)
@EnableConfigurationProperties({IngressProperties.class, BankRules.class, KafkaProperties.class, InternalApi.class})
public class IngressApplication {

    public static void main(String[] args) {
        builder().run(args);
    }

    /** The application with its own configuration file, {@code ingress-api.yml}, so that it can share a JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(IngressApplication.class)
                .web(WebApplicationType.REACTIVE)
                .properties("spring.config.name=ingress-api");
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    VoucherCodes voucherCodes(IngressProperties properties) {
        IngressProperties.CodeKeys codeKeys = properties.codeKeys();
        if (!StringUtils.hasText(properties.codeSecret()) && codeKeys.keys().isEmpty()) {
            throw new IllegalStateException("Set ingress.code-secret: a base64 key of at least 256 bits, the same on every instance");
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        codeKeys.keys().forEach((id, key) -> keys.put(id, Base64.getDecoder().decode(key)));
        return new VoucherCodes(StringUtils.hasText(properties.codeSecret())
                ? Base64.getDecoder().decode(properties.codeSecret()) : null,
                keys, StringUtils.hasText(codeKeys.keyId()) ? codeKeys.keyId() : null);
    }

    @Bean
    QrCodes qrCodes() {
        return new QrCodes();
    }

    /**
     * The clients of the internal APIs of voucher-streams, the ledger and webhook-delivery, each sealing its calls
     * with the key of the service it calls (the ingress does not start without the three). They share Reactor
     * Netty's connection pool. Each call is observed: timed ({@code http.client.requests}) and a span of the
     * caller's trace, whose context it carries to the service called.
     */
    @Bean
    InternalClients internalClients(InternalApi internalApi, MeterRegistry meters, ObservationRegistry observations) {
        return new InternalClients(sealedFor(InternalApi.VOUCHER_STREAMS, internalApi, meters, observations),
                sealedFor(InternalApi.LEDGER_ADAPTER, internalApi, meters, observations),
                sealedFor(InternalApi.WEBHOOK_DELIVERY, internalApi, meters, observations));
    }

    private static WebClient sealedFor(String service, InternalApi internalApi, MeterRegistry meters,
                                       ObservationRegistry observations) {
        return WebClient.builder().observationRegistry(observations).filter(internalApi.sealedCalls(service, meters))
                .build();
    }

    @Bean
    StreamsRouting streamsRouting(InternalClients internalClients, IngressProperties properties) {
        IngressProperties.VoucherStreams voucherStreams = properties.voucherStreams();
        return new StreamsRouting(internalClients.voucherStreams(), voucherStreams.urls(),
                voucherStreams.routingRefresh(), voucherStreams.timeout());
    }

    /**
     * The ledger's reads; those of an owner in this process are method calls. {@link ColocatedOwners} exist
     * only where whoever starts the services in one process (the one-machine run) registers them.
     */
    @Bean
    AccountReads accountReads(InternalClients internalClients, ObjectProvider<ColocatedOwners> colocatedOwners,
                              IngressProperties properties) {
        return new AccountReads(internalClients.ledger(), properties.ledger().urls(),
                colocatedOwners.getIfAvailable(ColocatedOwners::none), properties.ledger().timeout());
    }

    @Bean
    WebhookEndpoints webhookEndpoints(InternalClients internalClients, IngressProperties properties) {
        return new WebhookEndpoints(internalClients.webhookDelivery(), properties.webhooks().urls(),
                properties.webhooks().timeout(), properties.webhooks().removalTimeout());
    }

    @Bean
    VoucherReads voucherReads(InternalClients internalClients, StreamsRouting routing, RequestPublisher publisher,
                              ObjectProvider<ColocatedOwners> colocatedOwners, IngressProperties properties) {
        return new VoucherReads(internalClients.voucherStreams(), routing, publisher::partitionCount,
                colocatedOwners.getIfAvailable(ColocatedOwners::none), properties);
    }

    /** The cluster, as every Kafka client of the ingress reaches it: its producer and its health check. */
    @Bean
    KafkaConnection kafkaConnection(KafkaProperties kafka, IngressProperties properties) {
        return KafkaConnection.of(kafka, properties.bootstrapServers());
    }

    @Bean(destroyMethod = "close")
    RequestPublisher requestPublisher(IngressProperties properties, KafkaConnection kafkaConnection, Tracer tracer,
                                      Propagator propagator) {
        return new RequestPublisher(properties, kafkaConnection, new KafkaTracing(tracer, propagator));
    }

    @Bean
    KafkaBrokerHealthIndicator kafkaBrokerHealthIndicator(KafkaConnection kafkaConnection) {
        return new KafkaBrokerHealthIndicator(kafkaConnection);
    }
}
