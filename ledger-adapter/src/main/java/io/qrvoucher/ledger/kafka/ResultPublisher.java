package io.qrvoucher.ledger.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.kafka.core.KafkaTemplate;

import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.Account;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.Ledger;

/**
 * Publishes a command's result, keyed by voucher id, and, where {@code ledger.account-snapshots.publish} asks
 * for them, fresh snapshots of the accounts it changed. Sending and waiting for the broker are apart, so that the
 * results of a poll's commands travel together and are awaited once: whatever stops one makes
 * {@link #awaitAcknowledged} throw {@link ResultNotPublishedException}, and the command is then delivered again and
 * answered from its stored result. Whether snapshots are published is decided here only.
 */
public class ResultPublisher {

    private final KafkaTemplate<String, byte[]> kafka;
    private final Ledger ledger;
    private final LedgerProperties properties;

    public ResultPublisher(KafkaTemplate<String, byte[]> kafka, Ledger ledger, LedgerProperties properties) {
        this.kafka = kafka;
        this.ledger = ledger;
        this.properties = properties;
    }

    /** A command's result on its way to the broker. */
    public record Sending(Applied applied, CompletableFuture<Void> acknowledged) {
    }

    /**
     * Starts publishing a command's result and, if snapshots are published, its accounts' snapshots; each send is
     * observed (spring-kafka), so it joins the trace of the command being handled.
     */
    public Sending send(Applied applied) {
        try {
            List<CompletableFuture<?>> sends = new ArrayList<>();
            sends.add(kafka.send(record(properties.topics().results(), applied.voucherId(),
                    CommandCodec.encodeResult(applied))));
            if (publishesSnapshots() && !applied.affectedAccounts().isEmpty()) {
                ledger.accounts(applied.affectedAccounts()).forEach(account -> sends.add(sendSnapshot(account)));
            }
            return new Sending(applied, CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)));
        } catch (RuntimeException e) {
            return new Sending(applied, CompletableFuture.failedFuture(e));
        }
    }

    /**
     * Sends at once whatever is waiting in the producer: it lingers ({@code linger.ms}), so that the results of a
     * poll's commands go to the broker in one request when the listener flushes them at the poll's end.
     */
    public void flush() {
        kafka.flush();
    }

    /** Waits until the broker has what {@link #send} sent; anything that stops it throws {@link ResultNotPublishedException}. */
    public void awaitAcknowledged(Sending sending) {
        try {
            sending.acknowledged().get(properties.retry().publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResultNotPublishedException(sending.applied(), e);
        } catch (Exception e) {
            throw new ResultNotPublishedException(sending.applied(), e);
        }
    }

    /**
     * Publishes fresh snapshots of these accounts, as they are now, if snapshots are published, and waits until
     * the broker has them; anything that stops it throws {@link SnapshotsNotPublishedException}.
     */
    public void publishSnapshots(List<String> accountIds) {
        if (!publishesSnapshots()) {
            return;
        }
        try {
            List<CompletableFuture<?>> sends = ledger.accounts(accountIds).stream()
                    .<CompletableFuture<?>>map(this::sendSnapshot).toList();
            flush();
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
                    .get(properties.retry().publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SnapshotsNotPublishedException(accountIds, e);
        } catch (Exception e) {
            throw new SnapshotsNotPublishedException(accountIds, e);
        }
    }

    /** Publishes the snapshot of every account, so that the compacted topic has them all. */
    public void publishAllAccounts() {
        if (!publishesSnapshots()) {
            return;
        }
        List<CompletableFuture<?>> sends = ledger.allAccounts().stream()
                .<CompletableFuture<?>>map(this::sendSnapshot).toList();
        flush();
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
    }

    /** Whether {@code ledger.account-snapshots.publish} is on. */
    private boolean publishesSnapshots() {
        return properties.accountSnapshots().publish();
    }

    private CompletableFuture<?> sendSnapshot(Account account) {
        return kafka.send(record(properties.topics().accountSnapshots(), account.accountId(),
                CommandCodec.encodeSnapshot(account)));
    }

    private static ProducerRecord<String, byte[]> record(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, key, value);
    }

    /** Snapshots of accounts did not reach the broker; they must be published again. */
    public static class SnapshotsNotPublishedException extends RuntimeException {
        SnapshotsNotPublishedException(List<String> accountIds, Throwable cause) {
            super("Snapshots of " + accountIds + " not published: " + cause.getMessage(), cause);
        }
    }

    /** The result of an applied command did not reach the broker; it must be published again. */
    public static class ResultNotPublishedException extends RuntimeException {
        ResultNotPublishedException(Applied applied, Throwable cause) {
            super("Result of " + applied.commandId() + " not published: " + cause.getMessage(), cause);
        }
    }
}
