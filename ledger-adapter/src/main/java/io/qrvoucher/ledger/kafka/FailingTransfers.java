package io.qrvoucher.ledger.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.apache.kafka.common.TopicPartition;

/**
 * The transfers this instance is retrying because the database failed them, each with when it first
 * failed here. One that has been failing for longer than the give-up time is overdue: its next
 * attempt asks the ledger to refuse it instead of applying it.
 * <p>
 * Kept in memory on purpose. Forgetting a transfer (a restart, its partition moved to another
 * instance) only starts its clock again and delays its give-up; it cannot make a give-up wrong,
 * because the ledger takes that decision in the database, where every later delivery finds it.
 */
final class FailingTransfers {

    private final Map<String, Failing> byCommandId = new ConcurrentHashMap<>();
    private final long giveUpAfterNanos;
    private final LongSupplier nanoTime;

    /** @param nanoTime a monotonic clock, so that a wall-clock jump neither hastens nor delays a give-up */
    FailingTransfers(Duration giveUpAfter, LongSupplier nanoTime) {
        this.giveUpAfterNanos = giveUpAfter.toNanos();
        this.nanoTime = nanoTime;
    }

    /** The database failed this transfer; its clock starts at its first failure only. */
    void failed(String commandId, TopicPartition partition) {
        byCommandId.putIfAbsent(commandId, new Failing(partition, nanoTime.getAsLong()));
    }

    /** The database answered the command: it is not failing any more. */
    void answered(String commandId) {
        byCommandId.remove(commandId);
    }

    boolean overdue(String commandId) {
        Failing failing = byCommandId.get(commandId);
        return failing != null && failing.overdueAt(nanoTime.getAsLong(), giveUpAfterNanos);
    }

    /** How many transfers are overdue, waiting for the database to take their refusal. */
    int overdue() {
        long now = nanoTime.getAsLong();
        return (int) byCommandId.values().stream().filter(failing -> failing.overdueAt(now, giveUpAfterNanos)).count();
    }

    /**
     * The partitions left this instance: their transfers are retried elsewhere now, and counting
     * them here would report as overdue transfers that this instance no longer waits for.
     */
    void forget(Collection<TopicPartition> partitions) {
        byCommandId.values().removeIf(failing -> partitions.contains(failing.partition()));
    }

    private record Failing(TopicPartition partition, long firstFailedNanos) {

        boolean overdueAt(long now, long giveUpAfterNanos) {
            return now - firstFailedNanos >= giveUpAfterNanos;
        }
    }
}
