package io.qrvoucher.voucher.streams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StandbyUpdateListener;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The store partitions this instance holds whole: those of its active tasks that have restored and run. A key
 * missing from a whole partition does not exist (as of what the read sees); missing from any other partition
 * held here, a standby's or a restoring task's, it may exist. Interactive queries cannot tell the two apart:
 * they serve standbys and restoring tasks alike, and IQv2's {@code requireActive} answers per stream thread
 * (no task of a thread is active while any one of them restores).
 *
 * <p>The sign comes from the tasks themselves: Kafka Streams initialises a task's processors only once its
 * stores have restored, and closes them before it suspends, moves or closes the task. So the processor that
 * owns a store holds the store's partition whole from its {@code init} to its {@code close}
 * ({@link #whileOpen}). Each time a partition becomes whole it gets a new {@link #wholeSince token}, so that a
 * reader can tell the same whole store from one closed and made whole again meanwhile. A restoration or a
 * standby's update of a partition ends its wholeness too ({@link #watch}): should a task ever go without closing
 * its processors, its mark does not outlive it.
 */
public final class WholePartitions {

    private final Map<StorePartition, Long> whole = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();

    private record StorePartition(String store, int partition) {
    }

    /**
     * A token of this partition's wholeness, the same for as long as it stays whole here and new each time it
     * becomes whole again; null if it is not whole now.
     */
    public Long wholeSince(String store, int partition) {
        return whole.get(new StorePartition(store, partition));
    }

    /** The processors of {@code supplier}, each holding its task's partition of {@code stores} whole while it is open. */
    <KIn, VIn, KOut, VOut> ProcessorSupplier<KIn, VIn, KOut, VOut> whileOpen(
            ProcessorSupplier<KIn, VIn, KOut, VOut> supplier, String... stores) {
        List<String> owned = List.of(stores);
        return () -> new Holding<>(supplier.get(), owned);
    }

    /**
     * Has {@code streams}' restorations and standby updates end their partitions' wholeness, and tells {@code others}
     * of the standby updates too (Kafka Streams takes one listener); before it starts.
     */
    public void watch(KafkaStreams streams, StandbyUpdateListener... others) {
        streams.setGlobalStateRestoreListener(restoreListener());
        List<StandbyUpdateListener> told = new ArrayList<>(List.of(others));
        told.add(0, standbyListener());
        streams.setStandbyUpdateListener(new StandbyUpdateListener() {
            @Override
            public void onUpdateStart(TopicPartition changelog, String store, long startingOffset) {
                told.forEach(listener -> listener.onUpdateStart(changelog, store, startingOffset));
            }

            @Override
            public void onBatchLoaded(TopicPartition changelog, String store, TaskId task,
                                      long batchEndOffset, long batchSize, long currentEndOffset) {
                told.forEach(listener -> listener.onBatchLoaded(changelog, store, task, batchEndOffset, batchSize,
                        currentEndOffset));
            }

            @Override
            public void onUpdateSuspended(TopicPartition changelog, String store, long storeOffset, long currentEndOffset,
                                          SuspendReason reason) {
                told.forEach(listener -> listener.onUpdateSuspended(changelog, store, storeOffset, currentEndOffset,
                        reason));
            }
        });
    }

    /** A partition being restored is not whole. */
    StateRestoreListener restoreListener() {
        return new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition changelog, String store, long startingOffset, long endingOffset) {
                whole.remove(new StorePartition(store, changelog.partition()));
            }

            @Override
            public void onBatchRestored(TopicPartition changelog, String store, long batchEndOffset, long restored) {
            }

            @Override
            public void onRestoreEnd(TopicPartition changelog, String store, long totalRestored) {
            }
        };
    }

    /** A partition a standby updates is not whole here. */
    StandbyUpdateListener standbyListener() {
        return new StandbyUpdateListener() {
            @Override
            public void onUpdateStart(TopicPartition changelog, String store, long startingOffset) {
                whole.remove(new StorePartition(store, changelog.partition()));
            }

            @Override
            public void onBatchLoaded(TopicPartition changelog, String store, TaskId task,
                                      long batchEndOffset, long batchSize, long currentEndOffset) {
            }

            @Override
            public void onUpdateSuspended(TopicPartition changelog, String store, long storeOffset, long currentEndOffset,
                                          SuspendReason reason) {
            }
        };
    }

    private final class Holding<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {

        private final Processor<KIn, VIn, KOut, VOut> processor;
        private final List<String> stores;
        private List<StorePartition> held = List.of();
        private long token;

        Holding(Processor<KIn, VIn, KOut, VOut> processor, List<String> stores) {
            this.processor = processor;
            this.stores = stores;
        }

        @Override
        public void init(ProcessorContext<KOut, VOut> context) {
            processor.init(context);
            int partition = context.taskId().partition();
            held = stores.stream().map(store -> new StorePartition(store, partition)).toList();
            token = tokens.incrementAndGet();
            held.forEach(storePartition -> whole.put(storePartition, token));
        }

        @Override
        public void process(Record<KIn, VIn> record) {
            processor.process(record);
        }

        @Override
        public void close() {
            // First: a read must stop trusting this partition's misses before anything of the task closes.
            held.forEach(storePartition -> whole.remove(storePartition, token));
            processor.close();
        }
    }
}
