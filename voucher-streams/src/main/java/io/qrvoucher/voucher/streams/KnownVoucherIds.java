package io.qrvoucher.voucher.streams;

import java.util.ArrayList;
import java.util.List;

/**
 * The voucher ids a task's store may hold, as a scalable Bloom filter: "absent" is certain, "may be
 * present" is wrong about one time in a hundred. A generate request names a new voucher, and
 * without this its lookup was a RocksDB miss, the most expensive read there is (RocksDB's Java
 * binding reports "not found" by throwing a C++ exception); now it costs a few hashes.
 *
 * <p>When the newest filter holds its capacity a twice as large one is added, so the error stays
 * bounded however many vouchers come, without re-reading the store.
 */
final class KnownVoucherIds {

    static final int INITIAL_CAPACITY = 1 << 20;

    private static final int BITS_PER_ID = 10;
    private static final int HASHES = 7;

    private final List<Filter> filters = new ArrayList<>();

    KnownVoucherIds() {
        clear();
    }

    void add(String voucherId) {
        long hash = hash(voucherId);
        for (Filter filter : filters) {
            if (filter.mightContain(hash)) {
                return;
            }
        }
        Filter newest = filters.get(filters.size() - 1);
        if (newest.isFull()) {
            newest = new Filter(newest.capacity * 2);
            filters.add(newest);
        }
        newest.add(hash);
    }

    boolean mightContain(String voucherId) {
        long hash = hash(voucherId);
        for (Filter filter : filters) {
            if (filter.mightContain(hash)) {
                return true;
            }
        }
        return false;
    }

    void clear() {
        filters.clear();
        filters.add(new Filter(INITIAL_CAPACITY));
    }

    /** 64-bit FNV-1a over the characters, then MurmurHash3's finalizer to spread the bits. */
    private static long hash(String id) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            hash = (hash ^ id.charAt(i)) * 0x100000001b3L;
        }
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        hash *= 0xc4ceb9fe1a85ec53L;
        return hash ^ (hash >>> 33);
    }

    private static final class Filter {

        private final long capacity;
        private final long[] words;
        private final long bitMask;
        private long count;

        Filter(long capacity) {
            this.capacity = capacity;
            long bits = Long.highestOneBit(capacity * BITS_PER_ID - 1) << 1;
            this.words = new long[(int) (bits / Long.SIZE)];
            this.bitMask = bits - 1;
        }

        boolean isFull() {
            return count >= capacity;
        }

        void add(long hash) {
            for (int i = 0; i < HASHES; i++) {
                long bit = bit(hash, i);
                words[(int) (bit >>> 6)] |= 1L << bit;
            }
            count++;
        }

        boolean mightContain(long hash) {
            for (int i = 0; i < HASHES; i++) {
                long bit = bit(hash, i);
                if ((words[(int) (bit >>> 6)] & (1L << bit)) == 0) {
                    return false;
                }
            }
            return true;
        }

        /** The i-th probe, from the hash's two halves (Kirsch and Mitzenmacher). */
        private long bit(long hash, int i) {
            return ((hash >>> 32) + i * (hash & 0xffffffffL)) & bitMask;
        }
    }
}
