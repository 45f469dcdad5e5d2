package io.qrvoucher.voucher.streams;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Value;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.api.ProcessorContext;

import io.qrvoucher.voucher.domain.VoucherEvent;

/**
 * The topology's own metrics, in the group {@value TopologyMetricNames#GROUP}: voucher events by type (so,
 * vouchers by outcome), expiry index entries read, vouchers expired, vouchers reported stalled, and the duration
 * of an expiry punctuation. They sit with Kafka Streams' metrics and reach Prometheus with them.
 *
 * <p>The counts are kept per stream thread (tag {@code thread-id}), shared by the thread's tasks, and stay when a
 * task closes: a task that moves to another instance takes nothing away, so an instance's counts never go back
 * (per-task counts did, and Prometheus took each drop for a reset). The punctuation's duration is per task
 * ({@code task-id}) and goes with it.
 */
final class TopologyMetrics {

    static final String GROUP = TopologyMetricNames.GROUP;
    static final String ENTRIES_READ_TOTAL = TopologyMetricNames.ENTRIES_READ_TOTAL;
    static final String EXPIRED_TOTAL = TopologyMetricNames.EXPIRED_TOTAL;
    static final String EVENTS_TOTAL = TopologyMetricNames.EVENTS_TOTAL;

    private final StreamsMetrics metrics;
    private final Sensor entriesRead;
    private final Sensor expired;
    private final Sensor stalled;
    private final Sensor punctuation;
    private final Sensor indexBuild;
    private final Map<VoucherEvent.Type, Sensor> events = new EnumMap<>(VoucherEvent.Type.class);

    TopologyMetrics(ProcessorContext<?, ?> context) {
        this.metrics = context.metrics();
        // Processors start on their stream thread: each thread's counts are its own sensors.
        String thread = Thread.currentThread().getName();
        String threadPrefix = "voucher-topology." + thread + ".";
        Map<String, String> threadTags = Map.of("thread-id", thread);
        this.entriesRead = count(threadPrefix + "entries-read", ENTRIES_READ_TOTAL, "Expiry index entries read", threadTags);
        this.expired = count(threadPrefix + "expired", EXPIRED_TOTAL, "Vouchers expired by the punctuator", threadTags);
        this.stalled = count(threadPrefix + "stalled", TopologyMetricNames.STALLED_TOTAL,
                "Vouchers reported stalled by the watchdog", threadTags);
        for (VoucherEvent.Type type : VoucherEvent.Type.values()) {
            Map<String, String> typeTags = new HashMap<>(threadTags);
            typeTags.put("event-type", type.name()); // "type" is taken by JMX object names
            events.put(type, count(threadPrefix + "events." + type, EVENTS_TOTAL, "Voucher events published, by type",
                    typeTags));
        }
        Map<String, String> taskTags = Map.of("task-id", context.taskId().toString());
        this.punctuation = metrics.addSensor(threadPrefix + context.taskId() + ".punctuation", Sensor.RecordingLevel.INFO);
        punctuation.add(new MetricName("expiry-punctuation-duration-ns-avg", GROUP, "Average expiry punctuation", taskTags),
                new Avg());
        punctuation.add(new MetricName(TopologyMetricNames.PUNCTUATION_MAX, GROUP, "Longest expiry punctuation", taskTags),
                new Max());
        this.indexBuild = metrics.addSensor(threadPrefix + context.taskId() + ".index-build", Sensor.RecordingLevel.INFO);
        indexBuild.add(new MetricName(TopologyMetricNames.INDEXES_BEING_BUILT, GROUP,
                "1 while the task builds its indexes from its store (its expiries and stall reports late), else 0",
                taskTags), new Value());
    }

    /** Whether the task is building its indexes now. */
    void indexesBeingBuilt(boolean building) {
        indexBuild.record(building ? 1 : 0);
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

    /** The task closes: its punctuation's duration and its index build go, the counts stay with the thread. */
    void unregister() {
        metrics.removeSensor(punctuation);
        metrics.removeSensor(indexBuild);
    }

    /**
     * The thread's sensor of a count, made by its first task; the thread's next tasks get the same sensor, and
     * adding the metric it already has changes nothing.
     */
    private Sensor count(String sensorName, String metricName, String description, Map<String, String> metricTags) {
        Sensor sensor = metrics.addSensor(sensorName, Sensor.RecordingLevel.INFO);
        sensor.add(new MetricName(metricName, GROUP, description, metricTags), new CumulativeSum());
        return sensor;
    }
}
