package io.qrvoucher.webhook;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;

import javax.sql.DataSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.qrvoucher.support.KafkaBrokerHealthIndicator;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.internal.InternalApiServer;
import io.qrvoucher.support.kafka.ListenerErrorHandlers;
import io.qrvoucher.support.migration.MigrationRun;
import io.qrvoucher.webhook.core.EndpointUrls;
import io.qrvoucher.webhook.core.RetrySchedule;
import io.qrvoucher.webhook.core.SecretBox;
import io.qrvoucher.webhook.dispatch.DeliveryTraces;
import io.qrvoucher.webhook.dispatch.Dispatcher;
import io.qrvoucher.webhook.dispatch.WebhookSender;
import io.qrvoucher.webhook.kafka.VoucherEventListener;
import io.qrvoucher.webhook.store.DeliveryRetention;
import io.qrvoucher.webhook.store.HeadRepair;
import io.qrvoucher.webhook.store.WebhookStore;
import io.qrvoucher.webhook.web.BoundedResolver;
import tools.jackson.databind.ObjectMapper;

/**
 * Customers' webhook endpoints and the delivery of their vouchers' events to them: a listener on
 * {@code voucher-events} records deliveries, the {@link Dispatcher} sends them, {@link DeliveryRetention} forgets
 * them once finished and old, and the internal API
 * ({@code /internal/customers/{id}/webhooks…}) lets the ingress register, list and remove endpoints, list
 * deliveries and resend one. Every instance does all of it; they share the work through the database.
 */
@SpringBootApplication
@EnableConfigurationProperties(WebhookProperties.class)
// /internal/** answers only calls the ingress sealed with this service's own internal API key.
@Import(InternalApiServer.class)
@EnableScheduling
public class WebhookDeliveryApplication {

    /** Events (to one endpoint each) whose deliveries one transaction of the retention sweep forgets at most. */
    private static final int RETENTION_BATCH = 1000;
    private static final int HEAD_REPAIR_BATCH = 1000;

    /** Runs the service; {@code migrate} as the first argument, its database migrations alone ({@link MigrationRun}). */
    public static void main(String[] args) {
        if (MigrationRun.asked(args)) {
            MigrationRun.run("webhook-delivery", args);
            return;
        }
        builder().run(args);
    }

    /** The application with its own configuration file, {@code webhook-delivery.yml}, so that it can share a JVM. */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(WebhookDeliveryApplication.class)
                .web(WebApplicationType.REACTIVE)
                .properties("spring.config.name=webhook-delivery");
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    SecretBox secretBox(WebhookProperties properties) {
        return new SecretBox(properties.secretEncryption().keys(), properties.secretEncryption().keyId());
    }

    /** The system's name service, which registrations look their URLs' hosts up with. */
    @Bean
    EndpointUrls.Resolver nameService() {
        return InetAddress::getAllByName;
    }

    @Bean(destroyMethod = "close")
    BoundedResolver registrationLookups(EndpointUrls.Resolver nameService, WebhookProperties properties) {
        return new BoundedResolver(nameService, properties.endpoints().lookupsAtOnce(),
                properties.endpoints().lookupTimeout());
    }

    @Bean
    EndpointUrls endpointUrls(WebhookProperties properties) {
        return new EndpointUrls(properties.endpoints().allowLocalHttp(), properties.endpoints().ports());
    }

    @Bean
    WebhookStore webhookStore(DataSource dataSource, SecretBox secretBox) {
        return new WebhookStore(JdbcClient.create(dataSource), secretBox);
    }

    @Bean
    TransactionTemplate transactionTemplate(PlatformTransactionManager transactionManager) {
        return new TransactionTemplate(transactionManager);
    }

    @Bean
    DeliveryTraces deliveryTraces(Tracer tracer, Propagator propagator) {
        return new DeliveryTraces(tracer, propagator);
    }

    @Bean
    VoucherEventListener voucherEventListener(WebhookStore store, TransactionTemplate transactions, ObjectMapper json,
                                              Clock clock, ObservationRegistry observations, DeliveryTraces traces) {
        return new VoucherEventListener(store, transactions, json, clock, observations, traces);
    }

    /** A poll that fails (an unreadable event, the database) is retried without end: skipping would lose events. */
    @Bean
    DefaultErrorHandler webhookListenerErrorHandler() {
        return ListenerErrorHandlers.retryingEveryFailure(Duration.ofMillis(200), Duration.ofSeconds(10));
    }

    @Bean(destroyMethod = "close")
    WebhookSender webhookSender(WebhookProperties properties, EndpointUrls urls, Clock clock) {
        WebhookProperties.Delivery delivery = properties.delivery();
        return new WebhookSender(urls, delivery.connectTimeout(), delivery.responseTimeout(), delivery.workers() * 2,
                clock);
    }

    @Bean
    Dispatcher dispatcher(WebhookStore store, TransactionTemplate transactions, WebhookSender sender,
                          DeliveryTraces traces, WebhookProperties properties, Clock clock, MeterRegistry meters) {
        WebhookProperties.Delivery delivery = properties.delivery();
        return new Dispatcher(store, transactions, sender, traces,
                new RetrySchedule(delivery.initialBackoff(), delivery.maxBackoff(), delivery.giveUpAfter()),
                delivery.workers(), delivery.pollInterval(), clock, meters);
    }

    @Bean
    DeliveryRetention deliveryRetention(WebhookStore store, TransactionTemplate transactions, WebhookProperties properties,
                                        Clock clock, MeterRegistry meters) {
        return new DeliveryRetention(store, transactions, properties.delivery().retention(),
                properties.delivery().giveUpAfter(), RETENTION_BATCH, clock, meters);
    }

    /** Every {@code webhook.delivery.retention-sweep-interval} after the end of the previous sweep. */
    @Bean
    SchedulingConfigurer deliveryRetentionSchedule(DeliveryRetention retention, WebhookProperties properties) {
        return registrar -> registrar.addFixedDelayTask(retention::sweep, properties.delivery().retentionSweepInterval());
    }

    @Bean
    HeadRepair headRepair(WebhookStore store, TransactionTemplate transactions, MeterRegistry meters) {
        return new HeadRepair(store, transactions, HEAD_REPAIR_BATCH, meters);
    }

    /** Every {@code webhook.delivery.head-repair-interval} after the end of the previous sweep. */
    @Bean
    SchedulingConfigurer headRepairSchedule(HeadRepair repair, WebhookProperties properties) {
        return registrar -> registrar.addFixedDelayTask(repair::sweep, properties.delivery().headRepairInterval());
    }

    /** Checks the cluster as the service's spring-kafka clients reach it: the same spring.kafka.* security settings. */
    @Bean
    KafkaBrokerHealthIndicator kafkaBrokerHealthIndicator(KafkaProperties kafka) {
        return new KafkaBrokerHealthIndicator(KafkaConnection.of(kafka, null));
    }
}
