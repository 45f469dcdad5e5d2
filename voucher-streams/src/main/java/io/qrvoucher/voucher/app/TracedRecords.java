package io.qrvoucher.voucher.app;

import org.apache.kafka.common.header.Headers;

import io.micrometer.tracing.Span;
import io.qrvoucher.support.KafkaTracing;
import io.qrvoucher.voucher.streams.RecordTracing;

/** The topology's work as spans of Micrometer Tracing: one per input handled, the parent of what it writes. */
public final class TracedRecords implements RecordTracing {

    private final KafkaTracing tracing;

    public TracedRecords(KafkaTracing tracing) {
        this.tracing = tracing;
    }

    @Override
    public Handling handle(String name, Headers input) {
        Span span = tracing.handling(name, input);
        return new Handling() {
            @Override
            public void carryOn(Headers output) {
                tracing.carryOn(span.context(), output);
            }

            @Override
            public void close() {
                span.end();
            }
        };
    }
}
