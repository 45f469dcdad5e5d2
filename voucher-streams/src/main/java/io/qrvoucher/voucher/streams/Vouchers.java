package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.Optional;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.voucher.domain.Decision;
import io.qrvoucher.voucher.domain.LedgerCommand;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherEvent;

/**
 * The vouchers of one task: reads their state, and carries out a lifecycle {@link Decision} by
 * writing the new state and its expiry index entry and forwarding the commands, events and state to
 * their sinks. Under exactly-once all of it commits with the input's offset, or none of it does.
 */
final class Vouchers {

    private final KeyValueStore<String, VoucherState> store;
    private final ExpiryIndex expiryIndex;
    private final ProcessorContext<String, SpecificRecord> context;

    Vouchers(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.store = context.getStateStore(VoucherTopology.VOUCHER_STORE);
        this.expiryIndex = new ExpiryIndex(context.getStateStore(VoucherTopology.EXPIRY_INDEX_STORE));
    }

    ExpiryIndex expiryIndex() {
        return expiryIndex;
    }

    Optional<Voucher> find(String voucherId) {
        return Optional.ofNullable(store.get(voucherId)).map(AvroMapping::toDomain);
    }

    void carryOut(Optional<Voucher> before, Decision decision, Instant now) {
        long timestamp = now.toEpochMilli();
        decision.newState().ifPresent(after -> {
            VoucherState state = AvroMapping.toAvro(after);
            store.put(after.id(), state);
            expiryIndex.update(before.orElse(null), after);
            context.forward(new Record<>(after.id(), state, timestamp), VoucherTopology.STATE_SINK);
        });
        for (LedgerCommand command : decision.commands()) {
            context.forward(new Record<>(command.voucherId(), AvroMapping.toAvro(command, now), timestamp),
                    VoucherTopology.LEDGER_COMMANDS_SINK);
        }
        for (VoucherEvent event : decision.events()) {
            context.forward(new Record<>(event.voucherId(), AvroMapping.toAvro(event, now), timestamp),
                    VoucherTopology.EVENTS_SINK);
        }
    }
}
