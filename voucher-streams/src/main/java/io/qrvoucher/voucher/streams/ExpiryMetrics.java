package io.qrvoucher.voucher.streams;

import java.util.Map;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Metrics of the expiry punctuation, per task, in the group {@value #GROUP}: expiry index entries
 * read and vouchers expired (cumulative totals), and the duration of a punctuation.
 */
final class ExpiryMetrics {

    static final String GROUP = "voucher-expiry-metrics";
    static final String ENTRIES_READ_TOTAL = "index-entries-read-total";
    static final String EXPIRED_TOTAL = "vouchers-expired-total";

    private final Sensor entriesRead;
    private final Sensor expired;
    private final Sensor duration;

    private ExpiryMetrics(Sensor entriesRead, Sensor expired, Sensor duration) {
        this.entriesRead = entriesRead;
        this.expired = expired;
        this.duration = duration;
    }

    static ExpiryMetrics register(ProcessorContext<?, ?> context) {
        StreamsMetrics metrics = context.metrics();
        Map<String, String> tags = Map.of("task-id", context.taskId().toString());
        String prefix = "voucher-expiry." + Thread.currentThread().getName() + "." + context.taskId() + ".";

        Sensor entriesRead = metrics.addSensor(prefix + "entries-read", Sensor.RecordingLevel.INFO);
        entriesRead.add(new MetricName(ENTRIES_READ_TOTAL, GROUP, "Expiry index entries read", tags), new CumulativeSum());
        Sensor expired = metrics.addSensor(prefix + "expired", Sensor.RecordingLevel.INFO);
        expired.add(new MetricName(EXPIRED_TOTAL, GROUP, "Vouchers expired by the punctuator", tags), new CumulativeSum());
        Sensor duration = metrics.addSensor(prefix + "duration", Sensor.RecordingLevel.INFO);
        duration.add(new MetricName("punctuation-duration-ns-avg", GROUP, "Average punctuation duration", tags), new Avg());
        duration.add(new MetricName("punctuation-duration-ns-max", GROUP, "Longest punctuation duration", tags), new Max());
        return new ExpiryMetrics(entriesRead, expired, duration);
    }

    void unregister(StreamsMetrics metrics) {
        metrics.removeSensor(entriesRead);
        metrics.removeSensor(expired);
        metrics.removeSensor(duration);
    }

    void record(int entriesReadCount, int expiredCount, long durationNanos) {
        entriesRead.record(entriesReadCount);
        expired.record(expiredCount);
        duration.record(durationNanos);
    }
}
