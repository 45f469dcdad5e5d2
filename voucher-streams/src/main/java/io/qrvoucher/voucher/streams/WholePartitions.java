package io.qrvoucher.voucher.streams;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
 * ({@link #whileOpen}).
 */
public final class WholePartitions {

    private final Set<StorePartition> whole = ConcurrentHashMap.newKeySet();

    private record StorePartition(String store, int partition) {
    }

    /** Whether this partition of the store is held here by its active task, restored. */
    public boolean isWhole(String store, int partition) {
        return whole.contains(new StorePartition(store, partition));
    }

    /** The processors of {@code supplier}, each holding its task's partition of {@code stores} whole while it is open. */
    <KIn, VIn, KOut, VOut> ProcessorSupplier<KIn, VIn, KOut, VOut> whileOpen(
            ProcessorSupplier<KIn, VIn, KOut, VOut> supplier, String... stores) {
        List<String> owned = List.of(stores);
        return () -> new Holding<>(supplier.get(), owned);
    }

    private final class Holding<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {

        private final Processor<KIn, VIn, KOut, VOut> processor;
        private final List<String> stores;
        private List<StorePartition> held = List.of();

        Holding(Processor<KIn, VIn, KOut, VOut> processor, List<String> stores) {
            this.processor = processor;
            this.stores = stores;
        }

        @Override
        public void init(ProcessorContext<KOut, VOut> context) {
            processor.init(context);
            int partition = context.taskId().partition();
            held = stores.stream().map(store -> new StorePartition(store, partition)).toList();
            whole.addAll(held);
        }

        @Override
        public void process(Record<KIn, VIn> record) {
            processor.process(record);
        }

        @Override
        public void close() {
            // First: a read must stop trusting this partition's misses before anything of the task closes.
            whole.removeAll(held);
            processor.close();
        }
    }
}
