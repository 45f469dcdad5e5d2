package io.qrvoucher.ledger.reconciliation;

import java.time.Clock;
import java.time.Duration;
import java.util.Properties;

import javax.sql.DataSource;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.kafka.autoconfigure.ConcurrentKafkaListenerContainerFactoryConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.SchedulingConfigurer;

import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.BoundedStatements;
import io.qrvoucher.support.kafka.ListenerErrorHandlers;

/**
 * The reconciliation of the ledger with the vouchers' final states; on unless
 * {@code ledger.reconciliation.enabled=false}. Every instance runs all of it: the listener shares
 * {@code voucher-events}' partitions with the other instances, and the checks share the work through
 * row locks in the database.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "ledger.reconciliation.enabled", matchIfMissing = true)
@EnableScheduling
class ReconciliationConfiguration {

    static final String LISTENER_CONTAINER_FACTORY = "reconciliationListenerContainerFactory";
    private static final int GATHERED_BYTES = 64 * 1024;

    /** The checks' and the sweeps' statements, and their transactions: each ends, also on a silent database. */
    @Bean
    BoundedStatements reconciliationStatements(DataSource dataSource, LedgerProperties properties) {
        return BoundedStatements.on(dataSource, properties.reconciliation().statementTimeout());
    }

    @Bean
    ReconciliationStore reconciliationStore(BoundedStatements reconciliationStatements) {
        return new ReconciliationStore(reconciliationStatements.jdbcClient(), reconciliationStatements.jdbcTemplate());
    }

    @Bean
    Reconciler reconciler(ReconciliationStore store, BoundedStatements reconciliationStatements,
                          LedgerProperties properties, MeterRegistry meters) {
        return new Reconciler(store, reconciliationStatements.transactions(), properties.reconciliation(), meters,
                Clock.systemUTC());
    }

    /** Every {@code ledger.reconciliation.interval} after the end of the previous run. */
    @Bean
    SchedulingConfigurer reconciliationSchedule(Reconciler reconciler, LedgerProperties properties) {
        return registrar -> registrar.addFixedDelayTask(reconciler::run, properties.reconciliation().interval());
    }

    @Bean
    VoucherEventListener voucherEventListener(DataSource dataSource, LedgerProperties properties, MeterRegistry meters) {
        // A poll's transaction ends well within max.poll.interval.ms, as the commands' statements do: one that ran the
        // checks' time out would cost the listener its partitions first.
        BoundedStatements polls = BoundedStatements.on(dataSource, properties.retry().statementTimeout());
        return new VoucherEventListener(new ReconciliationStore(polls.jdbcClient(), polls.jdbcTemplate()), polls.transactions(),
                properties.reconciliation().gracePeriod(), meters);
    }

    /**
     * The factory of the listener: batches, its own consumer group, and its own error handling — a poll
     * whose expectations could not be recorded is retried without end (skipping it would leave vouchers
     * unchecked), and nothing goes to the ledger's dead-letter topic.
     */
    @Bean(LISTENER_CONTAINER_FACTORY)
    ConcurrentKafkaListenerContainerFactory<Object, Object> reconciliationListenerContainerFactory(
            ConcurrentKafkaListenerContainerFactoryConfigurer configurer, ConsumerFactory<Object, Object> consumers,
            LedgerProperties properties) {
        ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
        configurer.configure(factory, consumers);
        factory.setBatchListener(true);
        factory.setConcurrency(properties.reconciliation().listenerConcurrency());
        factory.getContainerProperties().setGroupId(properties.reconciliation().groupId());
        // Fewer, larger polls than the commands' listener, whose consumer factory this one shares. A factory does
        // not hand its containers consumer properties of its own; a customizer sets them on each container.
        factory.setContainerCustomizer(container -> container.getContainerProperties()
                .setKafkaConsumerProperties(gathering(properties.reconciliation().fetchWait())));
        factory.setCommonErrorHandler(ListenerErrorHandlers.retryingEveryFailure(properties.retry().initialInterval(),
                properties.retry().maxInterval()));
        return factory;
    }

    private static Properties gathering(Duration fetchWait) {
        Properties gathering = new Properties();
        gathering.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, Integer.toString(GATHERED_BYTES));
        gathering.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Long.toString(fetchWait.toMillis()));
        return gathering;
    }
}
