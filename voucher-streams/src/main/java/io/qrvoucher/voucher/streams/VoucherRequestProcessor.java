package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.Optional;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import io.qrvoucher.support.TraceContext;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherLifecycle;
import io.qrvoucher.voucher.domain.VoucherRequest;
import io.qrvoucher.voucher.streams.VoucherTopology.ExpirySettings;

/** Applies customers' requests to the vouchers, and schedules the expiry of the task's vouchers. */
final class VoucherRequestProcessor implements Processor<String, VoucherRequest, String, Object> {

    private final VoucherLifecycle lifecycle;
    private final ExpirySettings expiry;
    private ProcessorContext<String, Object> context;
    private Vouchers vouchers;
    private TopologyMetrics metrics;

    VoucherRequestProcessor(VoucherLifecycle lifecycle, ExpirySettings expiry) {
        this.lifecycle = lifecycle;
        this.expiry = expiry;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.metrics = new TopologyMetrics(context);
        this.vouchers = new Vouchers(context, metrics);
        vouchers.buildIndexes();
        ExpiryPunctuator punctuator = new ExpiryPunctuator(lifecycle, vouchers, expiry.maxPerPunctuation(), metrics);
        context.schedule(expiry.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, punctuator);
    }

    @Override
    public void process(Record<String, VoucherRequest> record) {
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        Optional<Voucher> current = vouchers.find(record.key());
        vouchers.carryOut(current, lifecycle.apply(current, record.value(), now), now, TraceContext.of(record.headers()));
    }

    @Override
    public void close() {
        metrics.unregister();
    }
}
