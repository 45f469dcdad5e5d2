package io.qrvoucher.voucher.app;

import java.util.Map;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.qrvoucher.voucher.domain.VoucherEvent;
import io.qrvoucher.voucher.streams.TopologyMetricNames;

/**
 * The topology's own metrics as Micrometer meters, summed over this instance's tasks at each scrape,
 * so that tasks that move in or out are counted from the moment they run here:
 * {@code vouchers.events{event.type}}, {@code vouchers.expired}, {@code vouchers.expiry.index.entries.read},
 * {@code vouchers.expiry.punctuation.max} (nanoseconds).
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
    }

    private double sum(String name, Map<String, String> tags) {
        return matching(name, tags).mapToDouble(TopologyMeters::value).sum();
    }

    private double max(String name) {
        return matching(name, Map.of()).mapToDouble(TopologyMeters::value).max().orElse(0);
    }

    private java.util.stream.Stream<? extends Metric> matching(String name, Map<String, String> tags) {
        return streams.metrics().entrySet().stream()
                .filter(entry -> isTopologyMetric(entry.getKey(), name, tags))
                .map(Map.Entry::getValue);
    }

    private static boolean isTopologyMetric(MetricName metric, String name, Map<String, String> tags) {
        return metric.group().equals(TopologyMetricNames.GROUP) && metric.name().equals(name)
                && metric.tags().entrySet().containsAll(tags.entrySet());
    }

    private static double value(Metric metric) {
        Object value = metric.metricValue();
        return value instanceof Number number && !Double.isNaN(number.doubleValue()) && !Double.isInfinite(number.doubleValue())
                ? number.doubleValue() : 0;
    }
}
