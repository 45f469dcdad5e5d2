package io.qrvoucher.ingress;

import java.time.Clock;
import java.util.Base64;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.util.StringUtils;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.qrvoucher.ingress.codes.QrCodes;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.view.PipelineView;
import io.qrvoucher.ingress.view.ViewUpdater;
import io.qrvoucher.support.KafkaBrokerHealthIndicator;

@SpringBootApplication
@EnableConfigurationProperties(IngressProperties.class)
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
        if (!StringUtils.hasText(properties.codeSecret())) {
            throw new IllegalStateException("Set ingress.code-secret: a base64 key of at least 256 bits, the same on every instance");
        }
        return new VoucherCodes(Base64.getDecoder().decode(properties.codeSecret()));
    }

    @Bean
    QrCodes qrCodes() {
        return new QrCodes();
    }

    @Bean
    PipelineView pipelineView(IngressProperties properties, Clock clock) {
        return new PipelineView(properties.limits().claimWindow(), clock);
    }

    /** The view's size, to watch its memory: it keeps every voucher ever made (see docs/operations.md). */
    @Bean
    MeterBinder pipelineViewMetrics(PipelineView view) {
        return registry -> {
            Gauge.builder("ingress.view.vouchers", view, PipelineView::vouchersHeld)
                    .description("Vouchers in this instance's in-memory view, finished ones included").register(registry);
            Gauge.builder("ingress.view.claims", view, PipelineView::claimsHeld)
                    .description("Idempotency-Key and sign-in claims in this instance's in-memory view").register(registry);
        };
    }

    @Bean
    ViewUpdater viewUpdater(PipelineView view, IngressProperties properties) {
        return new ViewUpdater(view, properties);
    }

    @Bean(destroyMethod = "close")
    RequestPublisher requestPublisher(IngressProperties properties) {
        return new RequestPublisher(properties);
    }

    @Bean
    KafkaBrokerHealthIndicator kafkaBrokerHealthIndicator(IngressProperties properties) {
        return new KafkaBrokerHealthIndicator(properties.bootstrapServers());
    }

    /** Ready once the view holds what the topics held when the instance started. */
    @Bean
    HealthIndicator ingressViewHealthIndicator(ViewUpdater viewUpdater) {
        return () -> (viewUpdater.isCaughtUp() ? Health.up() : Health.outOfService())
                .withDetail("caughtUp", viewUpdater.isCaughtUp()).build();
    }
}
