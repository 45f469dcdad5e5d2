package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.Optional;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import io.qrvoucher.support.TraceContext;
import io.qrvoucher.voucher.domain.Decision;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherLifecycle;
import io.qrvoucher.voucher.domain.VoucherRequest;
import io.qrvoucher.voucher.streams.VoucherTopology.ExpirySettings;

/**
 * Applies customers' requests to the vouchers, keeps the refusals for their requesters to read, and
 * schedules the expiry of the task's vouchers.
 */
final class VoucherRequestProcessor implements Processor<String, VoucherRequest, String, Object> {

    private final VoucherLifecycle lifecycle;
    private final ExpirySettings expiry;
    private final VoucherChanges changes;
    private ProcessorContext<String, Object> context;
    private Vouchers vouchers;
    private RequestRefusals refusals;
    private TopologyMetrics metrics;

    VoucherRequestProcessor(VoucherLifecycle lifecycle, ExpirySettings expiry, VoucherChanges changes) {
        this.lifecycle = lifecycle;
        this.expiry = expiry;
        this.changes = changes;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.metrics = new TopologyMetrics(context);
        this.vouchers = new Vouchers(context, metrics, changes);
        this.refusals = new RequestRefusals(context);
        vouchers.buildIndexes();
        ExpiryPunctuator punctuator = new ExpiryPunctuator(lifecycle, vouchers, expiry.maxPerPunctuation(), metrics);
        context.schedule(expiry.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, punctuator);
    }

    @Override
    public void process(Record<String, VoucherRequest> record) {
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        Optional<Voucher> current = vouchers.find(record.key());
        Decision decision = lifecycle.apply(current, record.value(), now);
        vouchers.carryOut(current, decision, now, TraceContext.of(record.headers()));
        if (refusals.record(record.value(), decision, now)) {
            changes.refused(record.key());
        }
    }

    @Override
    public void close() {
        metrics.unregister();
    }
}
