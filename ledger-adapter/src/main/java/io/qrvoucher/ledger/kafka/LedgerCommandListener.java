package io.qrvoucher.ledger.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.dao.DataAccessException;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.transaction.TransactionException;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.CommitOutcomeUnknownException;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.core.LedgerCommand;
import io.qrvoucher.support.TraceContext;

/**
 * Applies each ledger command and publishes its result; the record's offset is committed, with the
 * rest of its poll, only after both. A crash in between delivers the command again, and the ledger
 * answers it from the result it stored with the change — the change itself is never applied twice.
 */
public class LedgerCommandListener {

    private final Ledger ledger;
    private final ResultPublisher publisher;
    private final MeterRegistry meters;
    private final UncertainCommits uncertainCommits;

    LedgerCommandListener(Ledger ledger, ResultPublisher publisher, MeterRegistry meters,
                          UncertainCommits uncertainCommits) {
        this.ledger = ledger;
        this.publisher = publisher;
        this.meters = meters;
        this.uncertainCommits = uncertainCommits;
    }

    /** The consumer group is {@code spring.kafka.consumer.group-id}, not the listener's id. */
    @KafkaListener(id = "ledger-commands", idIsGroup = false, topics = "${ledger.topics.commands:ledger-commands}",
            concurrency = "${ledger.listener-concurrency:3}")
    public void onCommand(ConsumerRecord<String, byte[]> record) {
        LedgerCommand command = CommandCodec.decode(record.value());
        Timer.Sample sample = Timer.start(meters);
        Applied applied;
        try {
            applied = ledger.apply(command);
        } catch (CommitOutcomeUnknownException e) {
            uncertainCommits.uncertain(command.commandId());
            throw new LedgerUnavailableException(command, e);
        } catch (DataAccessException | TransactionException e) {
            throw new LedgerUnavailableException(command, e);
        }
        uncertainCommits.settled(command.commandId());
        sample.stop(meters.timer("ledger.commands", "command", command.getClass().getSimpleName().toLowerCase(),
                "outcome", applied.outcome().name(), "redelivered", Boolean.toString(applied.redelivered())));
        publisher.publish(applied, TraceContext.of(record.headers()));
    }
}
