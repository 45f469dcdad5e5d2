package io.qrvoucher.ledger.kafka;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaProducerFactoryCustomizer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.BackOff;
import org.springframework.util.backoff.ExponentialBackOff;
import org.springframework.util.backoff.FixedBackOff;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.schemas.DeadLetterHeaders;
import io.qrvoucher.support.Causes;
import io.qrvoucher.support.KafkaBrokerHealthIndicator;
import io.qrvoucher.support.KafkaConnection;

/**
 * The Kafka side of the adapter. Failures are handled by what they mean:
 * <ul>
 *   <li>a record that is not a ledger command, or not one of its own voucher (its id or its record key another's),
 *       goes to the dead-letter topic with the reason;</li>
 *   <li>anything else is retried without end: a result that did not reach the broker (the change is
 *       committed and its result must get out), and a command the database failed (only the
 *       database can say whether it was applied). A transfer failing past
 *       {@code ledger.retry.transfer-give-up-after} is given up by the ledger itself, in the
 *       database, once it answers ({@link LedgerCommandListener}); nothing is ever published
 *       without the database.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class LedgerKafkaConfiguration {

    private static final Logger log = LoggerFactory.getLogger(LedgerKafkaConfiguration.class);
    /** Kafka's default, where {@code spring.kafka.consumer.properties} does not set it. */
    private static final long DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;

    @Bean
    ResultPublisher resultPublisher(KafkaTemplate<String, byte[]> kafka, Ledger ledger, LedgerProperties properties) {
        return new ResultPublisher(kafka, ledger, properties);
    }

    /**
     * The producer gives a record up once {@code ledger.retry.publish-timeout} has passed since it was sent, so that
     * no wait for a result outlasts that: the listener's flush at the end of a poll, and the snapshots' flush, have
     * no timeout of their own (Kafka's default delivery timeout is two minutes). A request to the broker may take
     * half of it, which leaves the linger its room (delivery ≥ linger + request, as the producer requires).
     */
    @Bean
    DefaultKafkaProducerFactoryCustomizer deliveryWithinThePublishTimeout(LedgerProperties properties) {
        int timeout = (int) properties.retry().publishTimeout().toMillis();
        return factory -> factory.updateConfigs(Map.of(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout / 2));
    }

    @Bean
    FailingTransfers failingTransfers(LedgerProperties properties, MeterRegistry meters) {
        FailingTransfers failing = new FailingTransfers(properties.retry().transferGiveUpAfter(), System::nanoTime);
        Gauge.builder("ledger.transfers.overdue", failing, FailingTransfers::overdue)
                .description("Transfers this instance has retried against a failing database for longer than "
                        + "ledger.retry.transfer-give-up-after; each is refused once the database answers")
                .register(meters);
        return failing;
    }

    @Bean
    LedgerCommandListener ledgerCommandListener(Ledger ledger, ResultPublisher publisher, MeterRegistry meters,
                                                ObservationRegistry observations, FailingTransfers failingTransfers,
                                                LedgerProperties properties, KafkaProperties kafka) {
        Object configured = kafka.buildConsumerProperties().get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
        Duration maxPollInterval = Duration.ofMillis(configured == null ? DEFAULT_MAX_POLL_INTERVAL_MS
                : Long.parseLong(configured.toString()));
        if (properties.retry().longestPoll().compareTo(maxPollInterval) >= 0) {
            throw new IllegalStateException("ledger.retry.poll-budget (" + properties.retry().pollBudget() + "), twice "
                    + "ledger.retry.statement-timeout, ledger.retry.publish-timeout and ledger.retry.max-interval take "
                    + properties.retry().longestPoll() + ", not within the consumer's max.poll.interval.ms ("
                    + maxPollInterval + "): a poll that took them would put the instance out of its group");
        }
        return new LedgerCommandListener(ledger, publisher, meters, observations, failingTransfers,
                properties.retry().pollBudget());
    }

    /** Checks the cluster as the adapter's spring-kafka clients reach it: the same spring.kafka.* security settings. */
    @Bean
    KafkaBrokerHealthIndicator kafkaBrokerHealthIndicator(KafkaProperties kafka) {
        return new KafkaBrokerHealthIndicator(KafkaConnection.of(kafka, null));
    }

    @Bean
    LedgerListenerHealthIndicator ledgerListenerHealthIndicator(KafkaListenerEndpointRegistry listeners) {
        return new LedgerListenerHealthIndicator(listeners);
    }

    /**
     * Also counts the dead letters ({@code ledger.dead.letters}): a counter that exists from the start, so that an
     * alert sees the first one (the producer's per-topic metrics appear only with it).
     */
    @Bean
    DefaultErrorHandler ledgerErrorHandler(KafkaTemplate<String, byte[]> kafka, LedgerProperties properties,
                                           MeterRegistry meters) {
        DeadLetterPublishingRecoverer deadLetters = new DeadLetterPublishingRecoverer(kafka,
                (record, error) -> new TopicPartition(properties.topics().deadLetters(), -1));
        deadLetters.setHeadersFunction((record, error) -> DeadLetterHeaders.describe(new RecordHeaders(), record.topic(),
                record.partition(), record.offset(), Causes.find(error, SerializationException.class)
                        .map(Throwable.class::cast).orElseGet(() -> NestedExceptionUtils.getMostSpecificCause(error))));

        Counter deadLettered = Counter.builder("ledger.dead.letters")
                .description("Records of ledger-commands that are not ledger commands, or whose id or record key is not "
                        + "their voucher's, sent to the dead-letter topic")
                .register(meters);
        // Only a record that is not retried reaches the recoverer: one that cannot be read as a command (or names
        // another voucher's command id, or came under another key than its voucher's).
        ExponentialBackOff forever = new ExponentialBackOff(properties.retry().initialInterval().toMillis(), 2.0);
        forever.setMaxInterval(properties.retry().maxInterval().toMillis());
        DefaultErrorHandler handler = new DefaultErrorHandler((record, error) -> {
            log.error("Dead-lettering record {}-{}@{}", record.topic(), record.partition(), record.offset(), error);
            deadLetters.accept(record, error);
            deadLettered.increment();
        }, forever);
        handler.addNotRetryableExceptions(SerializationException.class);
        // A poll that spent its budget goes on from where it stopped, with no pause: nothing failed.
        handler.setBackOffFunction((record, error) -> Causes.find(error, LedgerCommandListener.PollBudgetSpent.class)
                .<BackOff>map(spent -> new FixedBackOff(0, FixedBackOff.UNLIMITED_ATTEMPTS)).orElse(null));
        // Its own line, not the handler's "Record in retry": a database too slow for its polls is an operator's to see.
        handler.setRetryListeners((record, error, attempt) -> Causes.find(error, LedgerCommandListener.PollBudgetSpent.class)
                .ifPresent(spent -> log.warn("{} at {}-{}@{}", spent.getMessage(), record.topic(), record.partition(),
                        record.offset())));
        return handler;
    }

    @Bean
    AccountSnapshotsAtStart accountSnapshotsAtStart(ResultPublisher publisher) {
        return new AccountSnapshotsAtStart(publisher);
    }
}
