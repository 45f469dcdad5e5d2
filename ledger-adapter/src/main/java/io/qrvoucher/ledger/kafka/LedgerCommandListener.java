package io.qrvoucher.ledger.kafka;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.transaction.TransactionException;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.ObservationRegistry;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.core.LedgerCommand;
import io.qrvoucher.ledger.core.LedgerRefusal;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.support.Causes;
import io.qrvoucher.support.RecordObservations;

/**
 * Applies the ledger commands of a poll one by one, and sends their results together, in one request to the
 * broker, at the poll's end; it returns once the broker has every result, and the offsets are committed only after
 * that. A crash in between delivers the commands again, and the ledger answers each from the result it stored with
 * the change — a change is never applied twice. One request and one wait for a poll's results, instead of each
 * result's before the next command, saves the broker a request and the listener a round trip for all but one
 * command of the poll.
 * <p>
 * A command that fails stops the poll there ({@link CommandNotApplied}): the results of the commands
 * before it are awaited and their offsets committed, and the error handler takes it from that command on. So does a
 * poll whose commands took its budget ({@code ledger.retry.poll-budget}, {@link PollBudgetSpent}), within Kafka's
 * {@code max.poll.interval.ms}; the error handler then goes on at once. A
 * command the database fails is retried without end: only the database can say what happened to it. A freeze or a
 * transfer whose data the database refuses (SQLSTATE class 22) is refused at once with {@code INVALID_COMMAND}: it
 * would fail alike on every attempt, holding up its partition for ever (a release carries nothing but ids the
 * freeze before it was applied with). A transfer that has been failing for longer than
 * {@code ledger.retry.transfer-give-up-after} is, on its next attempt, refused by the ledger instead of applied
 * ({@link Ledger#refuseTransfer}); what the ledger answers — the refusal it stored, or the result of an earlier
 * commit — is the only thing published.
 * <p>
 * Each command is observed on its own, continuing the trace its record carries, as spring-kafka observes the
 * records of a record listener (it does not for a batch).
 */
public class LedgerCommandListener implements ConsumerSeekAware {

    static final String ID = "ledger-commands";

    private static final Logger log = LoggerFactory.getLogger(LedgerCommandListener.class);

    private final Ledger ledger;
    private final ResultPublisher publisher;
    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    private final FailingTransfers failingTransfers;
    private final Duration pollBudget;

    /**
     * The commands of a poll took its budget: the rest, from {@code index} on, are left to the next poll. Not a failure,
     * and gone on from at once. A class apart from {@link CommandNotApplied}: the error handler keeps a record's pause
     * between attempts while it fails with the same class, and a budget's no pause must not carry over to a failure.
     */
    static final class PollBudgetSpent extends BatchListenerFailedException {
        PollBudgetSpent(Duration budget, int index) {
            super("The poll's commands took longer than ledger.retry.poll-budget (" + budget + "); the rest go on in the "
                    + "next poll", index);
        }
    }

    /** The command at {@code index} was not applied, or its result not published: it is tried again after a pause. */
    static final class CommandNotApplied extends BatchListenerFailedException {
        CommandNotApplied(String message, Throwable cause, int index) {
            super(message, cause, index);
        }
    }

    /** @param pollBudget how long a poll's commands may take together before the rest are left to the next poll */
    LedgerCommandListener(Ledger ledger, ResultPublisher publisher, MeterRegistry meters,
                          ObservationRegistry observations, FailingTransfers failingTransfers, Duration pollBudget) {
        this.ledger = ledger;
        this.publisher = publisher;
        this.meters = meters;
        this.observations = observations;
        this.failingTransfers = failingTransfers;
        this.pollBudget = pollBudget;
    }

    /** The consumer group is {@code spring.kafka.consumer.group-id}, not the listener's id. */
    @KafkaListener(id = ID, idIsGroup = false, topics = "${ledger.topics.commands:" + Topics.LEDGER_COMMANDS + "}",
            concurrency = "${ledger.listener-concurrency:3}", batch = "true")
    public void onCommands(List<ConsumerRecord<String, byte[]>> records) {
        long budgetEnds = System.nanoTime() + pollBudget.toNanos();
        List<ResultPublisher.Sending> sending = new ArrayList<>(records.size());
        for (ConsumerRecord<String, byte[]> record : records) {
            if (!sending.isEmpty() && System.nanoTime() - budgetEnds > 0) {
                awaitAcknowledged(sending);
                throw new PollBudgetSpent(pollBudget, sending.size());
            }
            try {
                sending.add(observed(record));
            } catch (RuntimeException e) {
                awaitAcknowledged(sending);
                throw new CommandNotApplied("Ledger command not applied: " + e.getMessage(), e, sending.size());
            }
        }
        awaitAcknowledged(sending);
    }

    private ResultPublisher.Sending observed(ConsumerRecord<String, byte[]> record) {
        return RecordObservations.handling(record, ID, observations).observe(() -> publisher.send(apply(record)));
    }

    private Applied apply(ConsumerRecord<String, byte[]> record) {
        LedgerCommand command = CommandCodec.decode(record.key(), record.value());
        Timer.Sample sample = Timer.start(meters);
        Applied applied;
        try {
            applied = command instanceof LedgerCommand.Transfer transfer && failingTransfers.overdue(transfer.commandId())
                    ? giveUp(transfer)
                    : ledger.apply(command);
        } catch (DataAccessException | TransactionException e) {
            Optional<SQLException> refusedData = dataException(e);
            if (refusedData.isPresent() && command instanceof LedgerCommand.Freeze freeze) {
                applied = ledger.refuseFreeze(freeze, LedgerRefusal.INVALID_COMMAND);
            } else if (refusedData.isPresent() && command instanceof LedgerCommand.Transfer transfer) {
                applied = ledger.refuseTransfer(transfer, LedgerRefusal.INVALID_COMMAND);
            } else {
                if (command instanceof LedgerCommand.Transfer) {
                    failingTransfers.failed(command.commandId(), new TopicPartition(record.topic(), record.partition()));
                }
                throw e;
            }
            log.warn("Refused {}: the database refuses its data ({}); the ledger answered {}", command.commandId(),
                    refusedData.get().getMessage(), applied.outcome());
        }
        failingTransfers.answered(command.commandId());
        sample.stop(meters.timer("ledger.commands", "command", command.kind(),
                "outcome", applied.outcome().name(), "redelivered", Boolean.toString(applied.redelivered())));
        return applied;
    }

    /** Sends the results together and waits for them; the first one the broker did not take stops the poll there. */
    private void awaitAcknowledged(List<ResultPublisher.Sending> sending) {
        publisher.flush();
        for (int index = 0; index < sending.size(); index++) {
            try {
                publisher.awaitAcknowledged(sending.get(index));
            } catch (ResultPublisher.ResultNotPublishedException e) {
                throw new CommandNotApplied(e.getMessage(), e, index);
            }
        }
    }

    /**
     * SQLSTATE class 22, a data exception (a NUL in a text, a value out of range), wherever in the chain, also under
     * a failed commit: the command's data, refused alike on every attempt, so a transfer is refused at once rather
     * than retried as if the database were down.
     */
    private static Optional<SQLException> dataException(RuntimeException e) {
        return Causes.find(e, SQLException.class, sql -> sql.getSQLState() != null && sql.getSQLState().startsWith("22"));
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
