package io.qrvoucher.voucher.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.voucher.domain.Voucher;

/**
 * The vouchers that can still expire, ordered by expiry time. A key is the expiry time as 8
 * big-endian bytes followed by the voucher id, so the store's byte order is time order and the due
 * entries are a prefix of it: finding them reads only them.
 *
 * <p>The index is derived from the voucher store, so it is kept in memory without a changelog and
 * {@linkplain #rebuild(Iterator) rebuilt} from the store whenever a task starts. Logging it cost a
 * RocksDB write and a changelog record for every voucher generated, which is most of what the
 * index would otherwise cost; a rebuild reads each of the task's vouchers once.
 */
final class ExpiryIndex {

    private final KeyValueStore<Bytes, String> store;

    ExpiryIndex(KeyValueStore<Bytes, String> store) {
        this.store = store;
    }

    /** Keeps the index in step with a voucher's change of state. */
    void update(Voucher before, Voucher after) {
        boolean indexedBefore = before != null && before.status().canExpire();
        boolean indexedAfter = after.status().canExpire();
        if (indexedAfter && !indexedBefore) {
            store.put(key(after.expiresAt(), after.id()), after.id());
        } else if (indexedBefore && !indexedAfter) {
            store.delete(key(before.expiresAt(), before.id()));
        }
    }

    /**
     * Indexes every voucher that can expire. Entries already there stay; stale ones are dropped by
     * the punctuator when it finds them, so a rebuild over a partly filled index is harmless.
     *
     * @return how many vouchers the index holds an entry for after the rebuild
     */
    long rebuild(Iterator<Voucher> vouchers) {
        long indexed = 0;
        while (vouchers.hasNext()) {
            Voucher voucher = vouchers.next();
            if (voucher.status().canExpire()) {
                store.put(key(voucher.expiresAt(), voucher.id()), voucher.id());
                indexed++;
            }
        }
        return indexed;
    }

    /** Up to {@code limit} entries due at {@code now}, earliest first. */
    List<KeyValue<Bytes, String>> due(Instant now, int limit) {
        List<KeyValue<Bytes, String>> due = new ArrayList<>();
        Bytes upperBound = Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(now.toEpochMilli() + 1).array());
        try (KeyValueIterator<Bytes, String> entries = store.range(null, upperBound)) {
            while (entries.hasNext() && due.size() < limit) {
                due.add(entries.next());
            }
        }
        return due;
    }

    void remove(Bytes key) {
        store.delete(key);
    }

    private static Bytes key(Instant expiresAt, String voucherId) {
        byte[] id = voucherId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + id.length).putLong(expiresAt.toEpochMilli()).put(id).array());
    }
}
