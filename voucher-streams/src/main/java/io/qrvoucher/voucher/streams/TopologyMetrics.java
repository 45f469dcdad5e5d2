package io.qrvoucher.voucher.streams;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.api.ProcessorContext;

import io.qrvoucher.voucher.domain.VoucherEvent;

/**
 * The topology's own metrics, per task, in the group {@value TopologyMetricNames#GROUP}: voucher events by type (so,
 * vouchers by outcome), expiry index entries read, vouchers expired, and the duration of an expiry
 * punctuation, vouchers reported stalled. They sit with Kafka Streams' metrics and reach Prometheus with them.
 */
final class TopologyMetrics {

    static final String GROUP = TopologyMetricNames.GROUP;
    static final String ENTRIES_READ_TOTAL = TopologyMetricNames.ENTRIES_READ_TOTAL;
    static final String EXPIRED_TOTAL = TopologyMetricNames.EXPIRED_TOTAL;
    static final String EVENTS_TOTAL = TopologyMetricNames.EVENTS_TOTAL;

    private final StreamsMetrics metrics;
    private final Map<String, String> tags;
    private final String prefix;
    private final Sensor entriesRead;
    private final Sensor expired;
    private final Sensor stalled;
    private final Sensor punctuation;
    private final Map<VoucherEvent.Type, Sensor> events = new EnumMap<>(VoucherEvent.Type.class);

    TopologyMetrics(ProcessorContext<?, ?> context) {
        this.metrics = context.metrics();
        this.tags = Map.of("task-id", context.taskId().toString());
        this.prefix = "voucher-topology." + Thread.currentThread().getName() + "." + context.taskId() + ".";
        this.entriesRead = total("entries-read", ENTRIES_READ_TOTAL, "Expiry index entries read", tags);
        this.expired = total("expired", EXPIRED_TOTAL, "Vouchers expired by the punctuator", tags);
        this.stalled = total("stalled", TopologyMetricNames.STALLED_TOTAL, "Vouchers reported stalled by the watchdog", tags);
        this.punctuation = metrics.addSensor(prefix + "punctuation", Sensor.RecordingLevel.INFO);
        punctuation.add(new MetricName("expiry-punctuation-duration-ns-avg", GROUP, "Average expiry punctuation", tags), new Avg());
        punctuation.add(new MetricName(TopologyMetricNames.PUNCTUATION_MAX, GROUP, "Longest expiry punctuation", tags), new Max());
        for (VoucherEvent.Type type : VoucherEvent.Type.values()) {
            Map<String, String> typeTags = new HashMap<>(tags);
            typeTags.put("event-type", type.name()); // "type" is taken by JMX object names
            events.put(type, total("events." + type, EVENTS_TOTAL, "Voucher events published, by type", typeTags));
        }
    }

    void expiryPunctuated(int entriesReadCount, int expiredCount, long durationNanos) {
        entriesRead.record(entriesReadCount);
        expired.record(expiredCount);
        punctuation.record(durationNanos);
    }

    void stalled() {
        stalled.record(1);
    }

    void published(VoucherEvent event) {
        events.get(event.type()).record(1);
    }

    void unregister() {
        metrics.removeSensor(entriesRead);
        metrics.removeSensor(expired);
        metrics.removeSensor(stalled);
        metrics.removeSensor(punctuation);
        events.values().forEach(metrics::removeSensor);
    }

    private Sensor total(String sensorName, String metricName, String description, Map<String, String> metricTags) {
        Sensor sensor = metrics.addSensor(prefix + sensorName, Sensor.RecordingLevel.INFO);
        sensor.add(new MetricName(metricName, GROUP, description, metricTags), new CumulativeSum());
        return sensor;
    }
}
