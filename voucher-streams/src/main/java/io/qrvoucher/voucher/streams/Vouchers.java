package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.Optional;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.support.TraceContext;
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
    private final TopologyMetrics metrics;

    Vouchers(ProcessorContext<String, SpecificRecord> context, TopologyMetrics metrics) {
        this.context = context;
        this.metrics = metrics;
        this.store = context.getStateStore(VoucherTopology.VOUCHER_STORE);
        this.expiryIndex = new ExpiryIndex(context.getStateStore(VoucherTopology.EXPIRY_INDEX_STORE));
    }

    ExpiryIndex expiryIndex() {
        return expiryIndex;
    }

    Optional<Voucher> find(String voucherId) {
        return Optional.ofNullable(store.get(voucherId)).map(AvroMapping::toDomain);
    }

    /**
     * @param trace the trace context of the input that led to the decision, carried on to every output
     */
    void carryOut(Optional<Voucher> before, Decision decision, Instant now, Optional<String> trace) {
        decision.newState().ifPresent(after -> {
            VoucherState state = AvroMapping.toAvro(after);
            store.put(after.id(), state);
            expiryIndex.update(before.orElse(null), after);
            forward(after.id(), state, now, trace, VoucherTopology.STATE_SINK);
        });
        for (LedgerCommand command : decision.commands()) {
            forward(command.voucherId(), AvroMapping.toAvro(command, now), now, trace, VoucherTopology.LEDGER_COMMANDS_SINK);
        }
        for (VoucherEvent event : decision.events()) {
            forward(event.voucherId(), AvroMapping.toAvro(event, now), now, trace, VoucherTopology.EVENTS_SINK);
            metrics.published(event);
        }
    }

    private void forward(String key, SpecificRecord value, Instant now, Optional<String> trace, String sink) {
        RecordHeaders headers = new RecordHeaders();
        trace.ifPresent(traceparent -> TraceContext.continueIn(headers, traceparent));
        context.forward(new Record<>(key, value, now.toEpochMilli(), headers), sink);
    }
}
