package io.qrvoucher.voucher.streams;

import java.util.function.BiConsumer;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Reads a store a slice at a time, in key order or its reverse, each slice going on past the last key the one before
 * read, so that work over a whole store is spread over many turns of the stream thread: the sweep of entries past
 * their retention ({@link RetentionSweep}), and the build of a starting task's indexes
 * ({@link Vouchers#buildIndexes(int)}). The sweep's bookmark, kept in the store under
 * {@link RetentionSweep#BOOKMARK_KEY}, is no entry of it and is passed over.
 */
final class StoreSlices {

    /**
     * What one slice read.
     *
     * @param read     how many entries
     * @param lastRead the key of the last, null if none
     * @param more     whether the store has entries beyond it, in the slice's direction
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
        try (KeyValueIterator<String, byte[]> entries = store.range(after, null)) {
            return slice(entries, after, max, each);
        }
    }

    /**
     * As {@link #next}, the other way: up to {@code max} entries before {@code before} (from the last key if null).
     * Only these two shapes of range are used, open at the far end: a review of Kafka Streams 4.4's transactional store
     * found its merge of uncommitted writes ignoring the bound given of {@code range(null, to)} and of
     * {@code reverseRange(from, null)} (not checked by a test here).
     */
    static Slice previous(KeyValueStore<String, byte[]> store, String before, int max, BiConsumer<String, byte[]> each) {
        try (KeyValueIterator<String, byte[]> entries = store.reverseRange(null, before)) {
            return slice(entries, before, max, each);
        }
    }

    /**
     * Hands up to {@code max} of {@code entries} to {@code each}, passing over the bookmarks (the last read, and the
     * sweep's): also past the last entry read, so that a slice that ends at the sweep's bookmark, the first key, knows
     * it read the last entry.
     */
    private static Slice slice(KeyValueIterator<String, byte[]> entries, String lastRead, int max,
                               BiConsumer<String, byte[]> each) {
        int read = 0;
        String readUpTo = null;
        passOverBookmarks(entries, lastRead);
        while (read < max && entries.hasNext()) {
            KeyValue<String, byte[]> entry = entries.next();
            each.accept(entry.key, entry.value);
            read++;
            readUpTo = entry.key;
            passOverBookmarks(entries, lastRead);
        }
        return new Slice(read, readUpTo, entries.hasNext());
    }

    private static void passOverBookmarks(KeyValueIterator<String, byte[]> entries, String lastRead) {
        while (entries.hasNext() && (entries.peekNextKey().equals(lastRead)
                || entries.peekNextKey().equals(RetentionSweep.BOOKMARK_KEY))) {
            entries.next();
        }
    }
}
