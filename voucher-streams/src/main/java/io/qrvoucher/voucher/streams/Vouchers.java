package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.voucher.domain.Decision;
import io.qrvoucher.voucher.domain.LedgerCommand;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherEvent;

/**
 * The vouchers of one task: reads their state, and carries out a lifecycle {@link Decision} by
 * writing the new state, keeping the task's {@link VoucherIndexes} in step and forwarding the commands, events and state to
 * their sinks. Under exactly-once all of it commits with the input's offset, or none of it does.
 *
 * <p>The store holds each voucher's {@link VoucherState} already encoded, and the same bytes go to
 * the customer-vouchers index, under the payer and, once redeemed, under the payee: a new state is
 * encoded once, not once for the store and again for each index entry. A voucher pending or being redeemed goes there
 * so only if that lasts ({@link CustomerVoucherIndex#listedAt}).
 *
 * <p>A voucher at rest (final, its money ended) is forgotten a retention after it came to rest, from the store and
 * from the index: the store of a task does not grow for ever with every voucher it ever held, nor its start, which
 * reads them all. Its money stays in the ledger's journal; its events are the bank's to archive from
 * {@code voucher-events}, which keeps them only for the topic's retention.
 */
final class Vouchers {

    static final AvroSerde<VoucherState> STATES = AvroSerde.of(VoucherState.class);
    /**
     * The sweep's bookmark as a voucher: one cancelled, its hold released, of no customer, made at the bookmark's
     * time, whose id is the key where the next slice starts. A release before this one, which has no such sweep and
     * reads every voucher of the store when a task starts, takes it for a voucher at rest: in none of its indexes.
     */
    static final RetentionSweep.Bookmarks BOOKMARKS = new RetentionSweep.Bookmarks(
            sweptUpTo -> STATES.encode(VoucherState.newBuilder()
                    .setVoucherId(sweptUpTo).setPayerCustomerId("").setAccountId("").setFaceValueMinor(0)
                    .setCurrency("XXX").setCodeHash("")
                    .setStatus(VoucherStatus.CANCELLED).setHoldState(HoldState.RELEASED)
                    .setCreatedAt(RetentionSweep.BOOKMARK_MADE_AT).setExpiresAt(RetentionSweep.BOOKMARK_MADE_AT)
                    .setUpdatedAt(RetentionSweep.BOOKMARK_MADE_AT).setVersion(0).setGenerateRequestId("")
                    .setReason("RETENTION_SWEEP_BOOKMARK")
                    .build()),
            bookmark -> STATES.decode(bookmark).getVoucherId());

    private static final Logger log = LoggerFactory.getLogger(Vouchers.class);

    private final KeyValueStore<String, byte[]> store;
    private final VoucherIndexes indexes;
    private final ProcessorContext<String, Object> context;
    private final TopologyMetrics metrics;
    private final VoucherChanges changes;
    private final StalledVouchers stalledVouchers;
    /** The task's vouchers reported stalled that have not moved on since. */
    private final Set<String> stalled = new HashSet<>();
    /** When the build of the indexes started ({@link System#nanoTime}), how many vouchers it read so far, what reads the rest. */
    private long buildStarted;
    private long indexedSoFar;
    private Cancellable remainingSlices;

    Vouchers(ProcessorContext<String, Object> context, TopologyMetrics metrics, VoucherChanges changes,
             StalledVouchers stalledVouchers) {
        this.context = context;
        this.metrics = metrics;
        this.changes = changes;
        this.stalledVouchers = stalledVouchers;
        this.store = context.getStateStore(VoucherTopology.VOUCHER_STORE);
        this.indexes = context.getStateStore(VoucherTopology.VOUCHER_INDEXES);
    }

    DueIndex expiryIndex() {
        return indexes.expiryIndex();
    }

    DueIndex stallIndex() {
        return indexes.stallIndex();
    }

    /** The voucher was reported stalled: it is listed until it moves on or the task leaves. */
    void stalled(Voucher voucher) {
        stalled.add(voucher.id());
        stalledVouchers.stalled(voucher);
    }

    /**
     * The task stops being active here: it is closed, or made a standby over its stores, which Kafka Streams keeps
     * open for it. Its stalled vouchers are its next owner's to report, and its indexes go: a standby's store takes
     * vouchers they would never see, so the task builds them afresh when it is made active again.
     */
    void leave() {
        stalled.forEach(stalledVouchers::cleared);
        stalled.clear();
        indexes.clear();
    }

    Optional<Voucher> find(String voucherId) {
        if (!indexes.mayHold(voucherId)) {
            return Optional.empty();
        }
        return Optional.ofNullable(store.get(voucherId)).map(Vouchers::decode);
    }

    /**
     * Builds the task's indexes from its vouchers, called whenever the task is made active (after its store is
     * restored, before any input or punctuation): reads a first slice of {@code slice} vouchers now, and one more each
     * time the stream thread comes round until it has read them all. Reading them all at once kept the thread from
     * polling for as long as it took: a few tasks of ten million vouchers each took longer than Kafka's
     * {@code max.poll.interval.ms}, and the instance was put out of its group, to start over elsewhere. Until the build
     * is done, a voucher not read yet expires (or is reported stalled) late, and every lookup reads the store.
     *
     * @return the schedule of the slices still to read; cancelled once the build is done (a schedule that runs keeps
     *         the task committing)
     */
    Cancellable buildIndexes(int slice) {
        indexes.clear();
        buildStarted = System.nanoTime();
        indexedSoFar = 0;
        indexNextSlice(slice);
        metrics.indexesBeingBuilt(!indexes.isBuilt());
        if (indexes.isBuilt()) {
            return () -> { };
        }
        remainingSlices = context.schedule(Duration.ofMillis(1), PunctuationType.WALL_CLOCK_TIME, wallClockMs -> {
            indexNextSlice(slice);
            if (indexes.isBuilt()) {
                metrics.indexesBeingBuilt(false);
                remainingSlices.cancel();
            }
        });
        return remainingSlices;
    }

    private void indexNextSlice(int slice) {
        indexedSoFar += indexNextSlice(store, indexes, slice);
        if (indexes.isBuilt()) {
            log.info("Task {}: indexes built from {} vouchers in {} ms, {} of them can expire", context.taskId(),
                    indexedSoFar, (System.nanoTime() - buildStarted) / 1_000_000, indexes.expiryIndex().size());
        }
    }

    /**
     * Indexes the next {@code slice} vouchers of the store before the last one the build read, newest first, and marks
     * the indexes built once it reaches the first; returns how many it read. A voucher's id begins with the day it was
     * made, so the vouchers that can still expire (made within the longest validity) are indexed before the months of
     * vouchers at rest the store keeps: read oldest first, they waited behind all of those, their expiry and their
     * holds' release with them. The build reads each voucher as it is when read: one changed meanwhile is kept in step
     * by {@link #carryOut} whether the build read it yet or not.
     */
    static long indexNextSlice(KeyValueStore<String, byte[]> store, VoucherIndexes indexes, int slice) {
        StoreSlices.Slice read = StoreSlices.previous(store, indexes.builtUpTo(), slice,
                (key, voucher) -> indexes.indexed(key, decode(voucher)));
        if (!read.more()) {
            indexes.builtAll();
        }
        return read.read();
    }

    /** Fills the indexes afresh from every voucher in the store at once, as tests and benchmarks do; returns how many there were. */
    static long buildIndexes(KeyValueStore<String, byte[]> store, VoucherIndexes indexes) {
        indexes.clear();
        return indexNextSlice(store, indexes, Integer.MAX_VALUE);
    }

    /**
     * Forgets the task's vouchers a {@code retention} after they came to rest, with their entries in the
     * customer-vouchers index, a slice of the store every {@link RetentionSweep#INTERVAL}.
     *
     * @param minPerSweep how many vouchers a slice looks at, at least
     */
    Cancellable forgetAtRestAfter(Duration retention, int minPerSweep) {
        return new RetentionSweep(store, Vouchers::cameToRestAt, retention, minPerSweep, BOOKMARKS, this::unlist)
                .scheduleOn(context);
    }

    /**
     * Lists the task's vouchers whose state has waited on the ledger for {@code grace} and is not listed yet, every
     * {@code grace}: such a state is listed between one and two graces after the voucher came to it, if it lasts.
     *
     * @param maxPerPunctuation how many vouchers one punctuation lists at most; the rest, the next
     */
    Cancellable listWaitingOnTheLedgerAfter(Duration grace, int maxPerPunctuation) {
        if (grace.isZero()) {
            return () -> { };
        }
        return context.schedule(grace, PunctuationType.WALL_CLOCK_TIME, wallClockMs -> {
            DueIndex waiting = indexes.listingIndex();
            Instant now = Instant.ofEpochMilli(wallClockMs);
            for (DueIndex.Entry entry : waiting.due(now, maxPerPunctuation)) {
                waiting.remove(entry);
                // A voucher leaves the index once its state moves on: one still in it is in the state indexed.
                byte[] state = store.get(entry.voucherId());
                if (state != null) {
                    list(STATES.decode(state), state, now, RecordTracing.Handling.NONE);
                }
            }
        });
    }

    /** When the voucher came to rest; an open one never: it is never forgotten. */
    private static Instant cameToRestAt(byte[] state) {
        Voucher voucher = decode(state);
        return voucher.isAtRest() ? voucher.updatedAt() : Instant.MAX;
    }

    /** Removes a forgotten voucher's entries from the customer-vouchers index: a tombstone for each. */
    private void unlist(String voucherId, byte[] state) {
        VoucherState forgotten = STATES.decode(state);
        long now = context.currentSystemTimeMs();
        CustomerVoucherIndex.keysOf(forgotten).forEach(key ->
                context.forward(new Record<>(key, null, now), VoucherTopology.CUSTOMER_VOUCHERS_SINK));
    }

    /**
     * @param trace the handling of the input that led to the decision, carried on to every output
     */
    void carryOut(Optional<Voucher> before, Decision decision, Instant now, RecordTracing.Handling trace) {
        decision.newState().ifPresent(after -> {
            VoucherState avro = AvroMapping.toAvro(after);
            byte[] state = STATES.encode(avro);
            store.put(after.id(), state);
            indexes.changed(before.orElse(null), after);
            if (indexes.listingIndex().dueAt(after).isEmpty()) {
                list(avro, state, now, trace);
            }
            changes.changed(after.id(), after.version());
            if (stalled.remove(after.id())) {
                stalledVouchers.cleared(after.id());
            }
        });
        for (LedgerCommand command : decision.commands()) {
            forward(command.voucherId(), AvroMapping.toAvro(command, now), now, trace, VoucherTopology.LEDGER_COMMANDS_SINK);
        }
        for (VoucherEvent event : decision.events()) {
            forward(event.voucherId(), AvroMapping.toAvro(event, now), now, trace, VoucherTopology.EVENTS_SINK);
            metrics.published(event);
        }
    }

    /** Writes the voucher's entries in the customer-vouchers index: {@code state} is {@code voucher} encoded. */
    private void list(VoucherState voucher, byte[] state, Instant now, RecordTracing.Handling trace) {
        CustomerVoucherIndex.keysOf(voucher).forEach(key ->
                forward(key, state, now, trace, VoucherTopology.CUSTOMER_VOUCHERS_SINK));
    }

    private static Voucher decode(byte[] state) {
        return AvroMapping.toDomain(STATES.decode(state));
    }

    private void forward(String key, Object value, Instant now, RecordTracing.Handling trace, String sink) {
        RecordHeaders headers = new RecordHeaders();
        trace.carryOn(headers);
        context.forward(new Record<>(key, value, now.toEpochMilli(), headers), sink);
    }
}
