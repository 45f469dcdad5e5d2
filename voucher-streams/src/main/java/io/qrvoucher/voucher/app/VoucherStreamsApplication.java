package io.qrvoucher.voucher.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Import;

import io.qrvoucher.support.BankRules;
import io.qrvoucher.support.internal.InternalApiServer;

/**
 * The service's Kafka clients are Kafka Streams' and its own (no spring-kafka): it takes Boot's
 * {@code spring.kafka.*} only for the cluster's connection and security settings, so spring-kafka's
 * auto-configuration stays out.
 */
@SpringBootApplication(exclude = KafkaAutoConfiguration.class)
@EnableConfigurationProperties({VoucherStreamsProperties.class, BankRules.class, KafkaProperties.class})
// /internal/** answers only calls the ingress sealed with this service's own internal API key.
@Import(InternalApiServer.class)
public class VoucherStreamsApplication {

    public static void main(String[] args) {
        builder().run(args);
    }

    /** The application with its own configuration file, {@code voucher-streams.yml}, so that it can share a JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(VoucherStreamsApplication.class)
                .properties("spring.config.name=voucher-streams");
    }
}
