package io.qrvoucher.voucher.query;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StandbyUpdateListener;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.TaskId;

/**
 * The store partitions this instance holds only in part: those of active tasks still restoring, and those of
 * standbys, which follow their active task from behind. A key missing from one of them may exist; a key
 * missing from a partition of an active task that has restored does not. Kafka Streams tells it of each
 * restoration and standby as they start and end (set as its global restore and standby update listener).
 */
public final class PartialPartitions implements StateRestoreListener, StandbyUpdateListener {

    private record StorePartition(String store, int partition) {
    }

    private final Set<StorePartition> partial = ConcurrentHashMap.newKeySet();

    /** Whether this instance holds the store's partition only in part (restoring, or as a standby). */
    public boolean isPartial(String store, int partition) {
        return !partial.isEmpty() && partial.contains(new StorePartition(store, partition));
    }

    @Override
    public void onRestoreStart(TopicPartition changelog, String store, long startingOffset, long endingOffset) {
        partial.add(new StorePartition(store, changelog.partition()));
    }

    @Override
    public void onBatchRestored(TopicPartition changelog, String store, long batchEndOffset, long numRestored) {
    }

    @Override
    public void onRestoreEnd(TopicPartition changelog, String store, long totalRestored) {
        partial.remove(new StorePartition(store, changelog.partition()));
    }

    /** The task left this instance, or closed, before it had restored. */
    @Override
    public void onRestoreSuspended(TopicPartition changelog, String store, long totalRestored) {
        partial.remove(new StorePartition(store, changelog.partition()));
    }

    @Override
    public void onUpdateStart(TopicPartition changelog, String store, long startingOffset) {
        partial.add(new StorePartition(store, changelog.partition()));
    }

    @Override
    public void onBatchLoaded(TopicPartition changelog, String store, TaskId task, long batchEndOffset, long batchSize,
                              long currentEndOffset) {
    }

    /** The standby became the active task (which restores what it lacks, if anything), or left this instance. */
    @Override
    public void onUpdateSuspended(TopicPartition changelog, String store, long storeOffset, long currentEndOffset,
                                  SuspendReason reason) {
        partial.remove(new StorePartition(store, changelog.partition()));
    }
}
