package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Forgets the entries of a key-value store that are past their retention, looking through the store in key order a
 * slice at a time: each slice from where the previous one stopped, and from the first key again after the last, so
 * that entries young and in front never hide old ones behind them. A slice is at least {@code minPerSweep} entries,
 * and more as the store grows (up to ten times that), so that a pass through the whole store takes about one
 * retention: an entry is forgotten within about twice its retention, and no index by time is kept for it (whose
 * changelog would double what is written for every entry).
 * <p>
 * Where the next slice starts is kept in the store itself, under {@link #BOOKMARK_KEY}: a task set up again (a
 * rebalance, a restart, a deployment) goes on from there, where a position in memory started from the first key
 * every time and, set up more often than a pass takes, never reached the last. The bookmark is written as a value of
 * the store's own type made at {@link #BOOKMARK_MADE_AT}, so a release before this one, which decodes every entry it
 * sweeps and keeps no bookmark, reads it as an entry too young to forget.
 */
final class RetentionSweep {

    /** How often a slice is looked through. */
    static final Duration INTERVAL = Duration.ofMinutes(1);
    /** A slice is at most this many times the least. */
    static final int MOST_SLICES_OF_THE_LEAST = 10;
    /** The key of the bookmark: NUL sorts it before the keys of entries, none of which starts with one. */
    static final String BOOKMARK_KEY = "\u0000retention-sweep";
    /** When a bookmark says it was made: far enough ahead that no sweep, of this release or the one before, forgets it. */
    static final Instant BOOKMARK_MADE_AT = Instant.parse("9999-12-31T23:59:59Z");

    /**
     * A bookmark as a value of the swept store's own type, made at {@link #BOOKMARK_MADE_AT}.
     *
     * @param write the value keeping a key (the empty string: from the first key)
     * @param read  the key a value of {@code write} keeps
     */
    record Bookmarks(Function<String, byte[]> write, Function<byte[], String> read) {
    }

    /** Told of each entry just before the sweep deletes it from the store, to forget what else keeps it. */
    @FunctionalInterface
    interface Forgetting {
        Forgetting NOTHING_ELSE = (key, value) -> { };

        void forgetting(String key, byte[] value);
    }

    private final KeyValueStore<String, byte[]> store;
    private final Function<byte[], Instant> madeAt;
    private final Duration retention;
    private final int minPerSweep;
    private final Bookmarks bookmarks;
    private final Forgetting forgetting;
    /** The last key the previous slice read, as kept in the store; null: the next one starts at the first. */
    private String sweptUpTo;

    /**
     * Goes on from the store's bookmark, if it has one.
     *
     * @param madeAt    when the entry (its stored value) was made; it is forgotten once that is a retention ago
     * @param retention how long an entry is kept at least
     */
    RetentionSweep(KeyValueStore<String, byte[]> store, Function<byte[], Instant> madeAt, Duration retention,
                   int minPerSweep, Bookmarks bookmarks) {
        this(store, madeAt, retention, minPerSweep, bookmarks, Forgetting.NOTHING_ELSE);
    }

    /** As above, telling {@code forgetting} of each entry it forgets. */
    RetentionSweep(KeyValueStore<String, byte[]> store, Function<byte[], Instant> madeAt, Duration retention,
                   int minPerSweep, Bookmarks bookmarks, Forgetting forgetting) {
        this.store = store;
        this.madeAt = madeAt;
        this.retention = retention;
        this.minPerSweep = minPerSweep;
        this.bookmarks = bookmarks;
        this.forgetting = forgetting;
        this.sweptUpTo = bookmarkIn(store.get(BOOKMARK_KEY));
    }

    /**
     * The key a bookmark keeps; null for none, for the first key, and for one that is no value of the store's type:
     * a build of session 32 wrote the key in plain bytes here for a quarter of an hour, and the next slice's bookmark
     * replaces it.
     */
    private String bookmarkIn(byte[] bookmark) {
        if (bookmark == null) {
            return null;
        }
        try {
            String kept = bookmarks.read().apply(bookmark);
            return kept.isEmpty() ? null : kept;
        } catch (SerializationException notABookmark) {
            return null;
        }
    }

    /** Sweeps a slice every {@link #INTERVAL} of wall-clock time of the task, until cancelled. */
    Cancellable scheduleOn(ProcessorContext<?, ?> context) {
        return context.schedule(INTERVAL, PunctuationType.WALL_CLOCK_TIME,
                wallClockMs -> sweep(Instant.ofEpochMilli(wallClockMs)));
    }

    /** Forgets the entries made before a retention ago among the next slice. */
    void sweep(Instant now) {
        Instant oldestKept = now.minus(retention);
        int slice = sliceSize();
        List<KeyValue<String, byte[]>> past = new ArrayList<>();
        StoreSlices.Slice read = StoreSlices.next(store, sweptUpTo, slice, (key, value) -> {
            if (madeAt.apply(value).isBefore(oldestKept)) {
                past.add(KeyValue.pair(key, value));
            }
        });
        for (KeyValue<String, byte[]> entry : past) {
            forgetting.forgetting(entry.key, entry.value);
            store.delete(entry.key);
        }
        String next = read.more() ? read.lastRead() : null;
        if (!Objects.equals(next, sweptUpTo)) {
            store.put(BOOKMARK_KEY, bookmarks.write().apply(next == null ? "" : next));
            sweptUpTo = next;
        }
    }

    /**
     * Enough entries that the slices of one retention cover the store as it is now (as far as RocksDB's estimate
     * of it goes), never fewer than the least, and never more than {@link #MOST_SLICES_OF_THE_LEAST} times it:
     * the sweep runs on the stream thread, and a store that outgrows that goes round more slowly.
     */
    private int sliceSize() {
        long slicesPerPass = Math.max(1, retention.toMillis() / INTERVAL.toMillis());
        long entries = store.approximateNumEntries();
        if (entries <= 0 || entries == Long.MAX_VALUE) {
            // Empty, or RocksDB could not estimate (Kafka Streams then answers Long.MAX_VALUE).
            return minPerSweep;
        }
        long needed = entries / slicesPerPass + (entries % slicesPerPass == 0 ? 0 : 1);
        long most = (long) minPerSweep * MOST_SLICES_OF_THE_LEAST;
        return (int) Math.min(Integer.MAX_VALUE, Math.min(most, Math.max(minPerSweep, needed)));
    }
}
