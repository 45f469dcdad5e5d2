package io.qrvoucher.ledger.kafka;

import java.util.Collection;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.transaction.TransactionException;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.core.LedgerCommand;
import io.qrvoucher.ledger.core.LedgerRefusal;
import io.qrvoucher.schemas.Topics;

/**
 * Applies each ledger command and publishes its result; the record's offset is committed, with the
 * rest of its poll, only after both. A crash in between delivers the command again, and the ledger
 * answers it from the result it stored with the change — the change itself is never applied twice.
 * <p>
 * A command the database fails is thrown back to the error handler, which retries it without end:
 * only the database can say what happened to it. A transfer that has been failing for longer than
 * {@code ledger.retry.transfer-give-up-after} is, on its next attempt, refused by the ledger instead
 * of applied ({@link Ledger#refuseTransfer}); what the ledger answers — the refusal it stored, or
 * the result of an earlier commit — is the only thing published.
 */
public class LedgerCommandListener implements ConsumerSeekAware {

    private static final Logger log = LoggerFactory.getLogger(LedgerCommandListener.class);

    private final Ledger ledger;
    private final ResultPublisher publisher;
    private final MeterRegistry meters;
    private final FailingTransfers failingTransfers;

    LedgerCommandListener(Ledger ledger, ResultPublisher publisher, MeterRegistry meters,
                          FailingTransfers failingTransfers) {
        this.ledger = ledger;
        this.publisher = publisher;
        this.meters = meters;
        this.failingTransfers = failingTransfers;
    }

    /** The consumer group is {@code spring.kafka.consumer.group-id}, not the listener's id. */
    @KafkaListener(id = "ledger-commands", idIsGroup = false, topics = "${ledger.topics.commands:" + Topics.LEDGER_COMMANDS + "}",
            concurrency = "${ledger.listener-concurrency:3}")
    public void onCommand(ConsumerRecord<String, byte[]> record) {
        LedgerCommand command = CommandCodec.decode(record.value());
        Timer.Sample sample = Timer.start(meters);
        Applied applied;
        try {
            applied = command instanceof LedgerCommand.Transfer transfer && failingTransfers.overdue(transfer.commandId())
                    ? giveUp(transfer)
                    : ledger.apply(command);
        } catch (DataAccessException | TransactionException e) {
            if (command instanceof LedgerCommand.Transfer) {
                failingTransfers.failed(command.commandId(), new TopicPartition(record.topic(), record.partition()));
            }
            throw e;
        }
        failingTransfers.answered(command.commandId());
        sample.stop(meters.timer("ledger.commands", "command", command.getClass().getSimpleName().toLowerCase(),
                "outcome", applied.outcome().name(), "redelivered", Boolean.toString(applied.redelivered())));
        publisher.publish(applied);
    }

    private Applied giveUp(LedgerCommand.Transfer transfer) {
        Applied applied = ledger.refuseTransfer(transfer, LedgerRefusal.LEDGER_UNAVAILABLE);
        log.warn("Gave up on {} after the ledger failed it past the give-up time; the ledger answered {}",
                transfer.commandId(), applied.outcome());
        return applied;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        failingTransfers.forget(partitions);
    }
}
