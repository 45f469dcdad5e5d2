package io.qrvoucher.support;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;

/**
 * Whether the Kafka cluster answers: DOWN as soon as no broker does. A client that is merely idle
 * (a Kafka Streams instance stays RUNNING while the brokers are gone) would not say so itself. As a
 * {@link MeterBinder} it puts its admin client's metrics ({@code kafka_admin_client_*}) in the service's, like
 * those of the service's other Kafka clients.
 */
public class KafkaBrokerHealthIndicator extends AbstractHealthIndicator implements MeterBinder, DisposableBean {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final AdminClient admin;
    private final KafkaClientMetrics adminMetrics;

    /** @param connection the service's connection to the cluster, with its security settings: the check authenticates as the service */
    public KafkaBrokerHealthIndicator(KafkaConnection connection) {
        super("Kafka cluster health check failed");
        this.admin = AdminClient.create(connection.with(Map.of(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis())));
        this.adminMetrics = new KafkaClientMetrics(admin);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        adminMetrics.bindTo(registry);
    }

    /**
     * An unreachable cluster is an answer, not a failure of the check: it is reported DOWN with the
     * reason, without the stack trace the base class would log at every probe while brokers are gone.
     */
    @Override
    protected void doHealthCheck(Health.Builder builder) throws InterruptedException {
        DescribeClusterOptions options = new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis());
        try {
            int brokers = admin.describeCluster(options).nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
            builder.status(brokers > 0 ? Status.UP : Status.DOWN).withDetail("brokers", brokers);
        } catch (ExecutionException e) {
            builder.down().withDetail("error", String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            builder.down().withDetail("error", "no broker answered within " + TIMEOUT.toSeconds() + " s");
        }
    }

    @Override
    public void destroy() {
        adminMetrics.close();
        admin.close(Duration.ofSeconds(1));
    }
}
