package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.Optional;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import io.qrvoucher.support.TraceContext;
import io.qrvoucher.voucher.domain.LedgerResult;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherLifecycle;

/** Applies the ledger's results to the vouchers they answer. */
final class LedgerResultProcessor implements Processor<String, LedgerResult, String, Object> {

    private final VoucherLifecycle lifecycle;
    private final VoucherChanges changes;
    private ProcessorContext<String, Object> context;
    private Vouchers vouchers;
    private TopologyMetrics metrics;

    LedgerResultProcessor(VoucherLifecycle lifecycle, VoucherChanges changes) {
        this.lifecycle = lifecycle;
        this.changes = changes;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.metrics = new TopologyMetrics(context);
        this.vouchers = new Vouchers(context, metrics, changes);
    }

    @Override
    public void process(Record<String, LedgerResult> record) {
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        Optional<Voucher> current = vouchers.find(record.key());
        vouchers.carryOut(current, lifecycle.apply(current, record.value(), now), now, TraceContext.of(record.headers()));
    }

    @Override
    public void close() {
        metrics.unregister();
    }
}
