package io.qrvoucher.voucher.app;

import java.util.Map;

import org.apache.kafka.streams.KafkaStreams;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.qrvoucher.voucher.domain.VoucherEvent;
import io.qrvoucher.voucher.streams.TopologyMetricNames;

/**
 * The topology's own metrics as Micrometer meters, read at each scrape: the counters
 * {@code vouchers.events{event.type}}, {@code vouchers.expired} and {@code vouchers.expiry.index.entries.read} sum
 * the counts of this instance's stream threads, which outlive the tasks that move in or out, so they count what
 * this instance did since it started and never go back; {@code vouchers.expiry.punctuation.max} (nanoseconds) is
 * the longest punctuation of the tasks it holds now, and {@code vouchers.indexes.being.built} how many of them are
 * building their indexes.
 */
class TopologyMeters implements MeterBinder {

    private final KafkaStreams streams;

    TopologyMeters(KafkaStreams streams) {
        this.streams = streams;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (VoucherEvent.Type type : VoucherEvent.Type.values()) {
            FunctionCounter.builder("vouchers.events", streams,
                            s -> sum(TopologyMetricNames.EVENTS_TOTAL, Map.of("event-type", type.name())))
                    .tag("event.type", type.name())
                    .description("Voucher events published, by type")
                    .register(registry);
        }
        FunctionCounter.builder("vouchers.expired", streams, s -> sum(TopologyMetricNames.EXPIRED_TOTAL, Map.of()))
                .description("Vouchers expired by the punctuator").register(registry);
        FunctionCounter.builder("vouchers.expiry.index.entries.read", streams,
                        s -> sum(TopologyMetricNames.ENTRIES_READ_TOTAL, Map.of()))
                .description("Expiry index entries read by the punctuator").register(registry);
        Gauge.builder("vouchers.expiry.punctuation.max", streams, s -> max(TopologyMetricNames.PUNCTUATION_MAX))
                .description("Longest expiry punctuation in the current window, ns").register(registry);
        Gauge.builder("vouchers.indexes.being.built", streams,
                        s -> sum(TopologyMetricNames.INDEXES_BEING_BUILT, Map.of()))
                .description("Tasks building their indexes from their stores now: their expiries and stall reports wait")
                .register(registry);
    }

    private double sum(String name, Map<String, String> tags) {
        return TopologyMetricNames.values(streams.metrics(), name, tags).sum();
    }

    private double max(String name) {
        return TopologyMetricNames.values(streams.metrics(), name, Map.of()).max().orElse(0);
    }
}
