package io.qrvoucher.ledger.kafka;

import java.time.Instant;
import java.util.Optional;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.BackOff;
import org.springframework.util.backoff.ExponentialBackOff;

import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.core.LedgerCommand;
import io.qrvoucher.schemas.DeadLetterHeaders;
import io.qrvoucher.support.Causes;
import io.qrvoucher.support.KafkaBrokerHealthIndicator;
import io.qrvoucher.support.TraceContext;

/**
 * The Kafka side of the adapter. Failures are handled by what they mean:
 * <ul>
 *   <li>a record that is not a ledger command goes to the dead-letter topic with the reason;</li>
 *   <li>a result that did not reach the broker is retried without end — the change is committed and
 *       its result must get out;</li>
 *   <li>a database that cannot apply a transfer is retried for {@code ledger.retry.transfer-give-up-after},
 *       then the transfer is answered TRANSFER_FAILED (nothing was changed; the voucher then releases
 *       its hold) — unless a commit of it may have happened ({@link UncertainCommits}): then it is
 *       retried without end, like a freeze;</li>
 *   <li>a database that cannot apply a freeze or a release is retried without end: giving up could
 *       leave money held that no voucher would ever release.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class LedgerKafkaConfiguration {

    private static final Logger log = LoggerFactory.getLogger(LedgerKafkaConfiguration.class);

    @Bean
    ResultPublisher resultPublisher(KafkaTemplate<String, byte[]> kafka, Ledger ledger, LedgerProperties properties) {
        return new ResultPublisher(kafka, ledger, properties);
    }

    @Bean
    UncertainCommits uncertainCommits() {
        return new UncertainCommits();
    }

    @Bean
    LedgerCommandListener ledgerCommandListener(Ledger ledger, ResultPublisher publisher, MeterRegistry meters,
                                                UncertainCommits uncertainCommits) {
        return new LedgerCommandListener(ledger, publisher, meters, uncertainCommits);
    }

    @Bean
    KafkaBrokerHealthIndicator kafkaBrokerHealthIndicator(KafkaProperties kafka) {
        return new KafkaBrokerHealthIndicator(String.join(",", kafka.getBootstrapServers()));
    }

    @Bean
    LedgerListenerHealthIndicator ledgerListenerHealthIndicator(KafkaListenerEndpointRegistry listeners) {
        return new LedgerListenerHealthIndicator(listeners);
    }

    @Bean
    DefaultErrorHandler ledgerErrorHandler(KafkaTemplate<String, byte[]> kafka, ResultPublisher publisher,
                                           UncertainCommits uncertainCommits, LedgerProperties properties) {
        DeadLetterPublishingRecoverer deadLetters = new DeadLetterPublishingRecoverer(kafka,
                (record, error) -> new TopicPartition(properties.topics().deadLetters(), -1));
        deadLetters.setHeadersFunction((record, error) -> DeadLetterHeaders.describe(new RecordHeaders(), record.topic(),
                record.partition(), record.offset(), Causes.find(error, SerializationException.class)
                        .map(Throwable.class::cast).orElseGet(() -> NestedExceptionUtils.getMostSpecificCause(error))));

        ConsumerRecordRecoverer recoverer = (record, error) -> {
            Optional<LedgerCommand> unavailable = Causes.find(error, LedgerUnavailableException.class)
                    .map(LedgerUnavailableException::command);
            if (unavailable.isPresent() && uncertainCommits.contains(unavailable.get().commandId())) {
                // Thrown, the record is tried again with its back-off started anew: now without end.
                throw new IllegalStateException("Not giving up on " + unavailable.get().commandId()
                        + ": a commit of it may have happened", error);
            }
            if (unavailable.isPresent() && unavailable.get() instanceof LedgerCommand.Transfer transfer) {
                log.error("Giving up on {} after the ledger stayed unavailable; answering TRANSFER_FAILED",
                        transfer.commandId(), error);
                publisher.publish(Applied.transferAbandoned(transfer, Instant.now()), TraceContext.of(record.headers()));
            } else {
                log.error("Dead-lettering record {}-{}@{}", record.topic(), record.partition(), record.offset(), error);
                deadLetters.accept(record, error);
            }
        };

        Retry retry = new Retry(properties.retry());
        DefaultErrorHandler handler = new DefaultErrorHandler(recoverer, retry.forever());
        handler.setBackOffFunction((record, error) -> {
            boolean transferMayGiveUp = Causes.find(error, LedgerUnavailableException.class)
                    .filter(unavailable -> unavailable.command() instanceof LedgerCommand.Transfer
                            && !uncertainCommits.contains(unavailable.command().commandId()))
                    .isPresent();
            return transferMayGiveUp ? retry.untilTransferGivesUp() : retry.forever();
        });
        handler.addNotRetryableExceptions(SerializationException.class);
        return handler;
    }

    @Bean
    AccountSnapshotsAtStart accountSnapshotsAtStart(ResultPublisher publisher) {
        return new AccountSnapshotsAtStart(publisher);
    }

    private record Retry(LedgerProperties.Retry settings) {

        BackOff forever() {
            ExponentialBackOff backOff = new ExponentialBackOff(settings.initialInterval().toMillis(), 2.0);
            backOff.setMaxInterval(settings.maxInterval().toMillis());
            return backOff;
        }

        BackOff untilTransferGivesUp() {
            ExponentialBackOff backOff = new ExponentialBackOff(settings.initialInterval().toMillis(), 2.0);
            backOff.setMaxInterval(settings.maxInterval().toMillis());
            backOff.setMaxElapsedTime(settings.transferGiveUpAfter().toMillis());
            return backOff;
        }
    }
}
