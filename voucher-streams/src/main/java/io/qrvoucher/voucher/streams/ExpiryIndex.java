package io.qrvoucher.voucher.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
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
