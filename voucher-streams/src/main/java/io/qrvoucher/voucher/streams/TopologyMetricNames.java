package io.qrvoucher.voucher.streams;

import java.util.Map;
import java.util.stream.DoubleStream;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/** Names of the topology's own Kafka Streams metrics, and how whoever reads them finds them. */
public final class TopologyMetricNames {

    public static final String GROUP = "voucher-topology-metrics";
    public static final String ENTRIES_READ_TOTAL = "expiry-index-entries-read-total";
    public static final String EXPIRED_TOTAL = "vouchers-expired-total";
    public static final String EVENTS_TOTAL = "voucher-events-total";
    public static final String STALLED_TOTAL = "vouchers-stalled-total";
    public static final String PUNCTUATION_MAX = "expiry-punctuation-duration-ns-max";
    public static final String INDEXES_BEING_BUILT = "voucher-indexes-being-built";

    private TopologyMetricNames() {
    }

    /**
     * The values of the topology metric {@code name} whose tags include {@code tags}, one per stream thread for a
     * count and per task for the punctuation's duration;
     * a metric with no value yet (NaN, infinite) counts as zero.
     */
    public static DoubleStream values(Map<MetricName, ? extends Metric> metrics, String name, Map<String, String> tags) {
        return metrics.entrySet().stream()
                .filter(entry -> entry.getKey().group().equals(GROUP) && entry.getKey().name().equals(name)
                        && entry.getKey().tags().entrySet().containsAll(tags.entrySet()))
                .mapToDouble(entry -> entry.getValue().metricValue() instanceof Number number
                        && Double.isFinite(number.doubleValue()) ? number.doubleValue() : 0);
    }
}
