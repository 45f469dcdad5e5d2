package io.qrvoucher.voucher.streams;

import java.util.function.BiConsumer;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Reads a store a slice at a time, in key order, each slice going on after the last key the one before read, so that
 * work over a whole store is spread over many turns of the stream thread: the sweep of entries past their retention
 * ({@link RetentionSweep}), and the build of a starting task's indexes ({@link Vouchers#buildIndexes(int)}). The
 * sweep's bookmark, kept in the store under {@link RetentionSweep#BOOKMARK_KEY}, is no entry of it and is passed over.
 */
final class StoreSlices {

    /**
     * What one slice read.
     *
     * @param read     how many entries
     * @param lastRead the key of the last, null if none
     * @param more     whether the store has entries after it
     */
    record Slice(int read, String lastRead, boolean more) {
    }

    private StoreSlices() {
    }

    /**
     * Reads up to {@code max} entries after {@code after} (from the first key if null), handing each to {@code each}
     * while the slice is read; the store is not to be written until it returns.
     */
    static Slice next(KeyValueStore<String, byte[]> store, String after, int max, BiConsumer<String, byte[]> each) {
        int read = 0;
        String lastRead = null;
        try (KeyValueIterator<String, byte[]> entries = store.range(after, null)) {
            while (read < max && entries.hasNext()) {
                KeyValue<String, byte[]> entry = entries.next();
                if (entry.key.equals(after) || entry.key.equals(RetentionSweep.BOOKMARK_KEY)) {
                    continue;
                }
                each.accept(entry.key, entry.value);
                read++;
                lastRead = entry.key;
            }
            return new Slice(read, lastRead, entries.hasNext());
        }
    }
}
