package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;

import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherLifecycle;

/**
 * A task's in-memory indexes over its {@code voucher-store}: the expiry, stall and listing {@link DueIndex}es and
 * the {@link KnownVoucherIds}. They are derived from the store, so they have no changelog: a task
 * builds them from its store whenever it is made active (after restoring it), a slice of the store at a time (see
 * {@link Vouchers#buildIndexes(int)}), and empties them when it
 * stops being active — also when Kafka Streams makes it a standby over its open stores, whose store then
 * takes vouchers the indexes never see — and Kafka Streams closes, and so empties, them whenever the
 * task's state is dropped or wiped. Being a state store ties their life to the task's stores, and lets
 * tests and benchmarks fill a store and index it as a starting task does.
 */
final class VoucherIndexes implements StateStore {

    private final String name;
    private final DueIndex expiryIndex = DueIndex.expiry();
    private final DueIndex stallIndex;
    private final DueIndex listingIndex;
    private final KnownVoucherIds knownIds = new KnownVoucherIds();
    /** Whether every voucher of the store is indexed: until then the known ids may miss some. */
    private boolean built;
    /** The last key the build indexed, going down; null: it starts from the store's last. */
    private String builtUpTo;
    private boolean open;

    /**
     * @param stalledAfter how long a voucher may wait on the ledger before it counts as stalled
     * @param listingGrace how long a voucher pending or being redeemed must stay so to be listed so (see
     *                     {@link CustomerVoucherIndex#listedAt})
     */
    VoucherIndexes(String name, Duration stalledAfter, Duration listingGrace) {
        this.name = name;
        this.stallIndex = new DueIndex(voucher -> VoucherLifecycle.stalledAt(voucher, stalledAfter));
        this.listingIndex = new DueIndex(voucher -> CustomerVoucherIndex.listedAt(voucher, listingGrace));
    }

    DueIndex expiryIndex() {
        return expiryIndex;
    }

    DueIndex stallIndex() {
        return stallIndex;
    }

    /**
     * The vouchers in a state not listed yet, by when it is listed if it lasts. A task made active lists those of its
     * store again: its last owner may have listed them already, and an entry listed twice is the same entry.
     */
    DueIndex listingIndex() {
        return listingIndex;
    }

    /**
     * Whether the store may hold the voucher: certainly not if the indexes are built and do not know its id. While
     * they are being built, any voucher may be in the store.
     */
    boolean mayHold(String voucherId) {
        return !built || knownIds.mightContain(voucherId);
    }

    boolean isBuilt() {
        return built;
    }

    /** The last key the build indexed; null before the first. */
    String builtUpTo() {
        return builtUpTo;
    }

    /**
     * The build read a voucher of the store, as it is now. One changed since the build started may be indexed already
     * (by {@link #changed}): reading it again changes nothing, as the indexes keep each id once.
     */
    void indexed(String key, Voucher voucher) {
        changed(null, voucher);
        builtUpTo = key;
    }

    /** The build read the store to its end. */
    void builtAll() {
        built = true;
        builtUpTo = null;
    }

    /** Keeps the indexes in step with a voucher's change of state; {@code before} is null for a new voucher. */
    void changed(Voucher before, Voucher after) {
        if (before == null) {
            knownIds.add(after.id());
        }
        expiryIndex.update(before, after);
        stallIndex.update(before, after);
        listingIndex.update(before, after);
    }

    /** Empties the indexes: they are to be built afresh, from the store's last key. */
    void clear() {
        expiryIndex.clear();
        stallIndex.clear();
        listingIndex.clear();
        knownIds.clear();
        built = false;
        builtUpTo = null;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        clear();
        context.register(root, (key, value) -> {
            throw new IllegalStateException("The voucher indexes have no changelog to restore from");
        });
        open = true;
    }

    @Override
    public void close() {
        clear();
        open = false;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Builds the task's indexes: in memory, never logged, never cached. */
    static StoreBuilder<VoucherIndexes> builder(String name, Duration stalledAfter, Duration listingGrace) {
        return new StoreBuilder<>() {
            @Override
            public StoreBuilder<VoucherIndexes> withCachingEnabled() {
                throw new UnsupportedOperationException("The voucher indexes are in memory already");
            }

            @Override
            public StoreBuilder<VoucherIndexes> withCachingDisabled() {
                return this;
            }

            @Override
            public StoreBuilder<VoucherIndexes> withLoggingEnabled(Map<String, String> config) {
                throw new UnsupportedOperationException("The voucher indexes are derived from voucher-store");
            }

            @Override
            public StoreBuilder<VoucherIndexes> withLoggingDisabled() {
                return this;
            }

            @Override
            public VoucherIndexes build() {
                return new VoucherIndexes(name, stalledAfter, listingGrace);
            }

            @Override
            public Map<String, String> logConfig() {
                return Map.of();
            }

            @Override
            public boolean loggingEnabled() {
                return false;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
