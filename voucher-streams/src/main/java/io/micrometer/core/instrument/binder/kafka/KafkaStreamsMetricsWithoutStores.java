package io.micrometer.core.instrument.binder.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

import io.micrometer.core.instrument.Tags;

/**
 * Kafka Streams' metrics in Micrometer as {@link KafkaStreamsMetrics} binds them, but for its state stores'
 * ({@value #STORE_GROUP}). With transactional stores (KIP-892, Kafka Streams 4.4), a store's
 * {@code uncommitted-bytes} gauge reads the RocksDB write batch that every commit of the stream thread closes and
 * replaces. Micrometer reads each metric it binds from its own thread, every refresh and at every scrape; a read
 * racing a commit reads a freed batch, and the JVM dies (SIGSEGV in {@code WriteBatch.getDataSize}: seen in a test of
 * the one-machine run). No dashboard or alert of this project uses a store metric.
 *
 * <p>In Micrometer's package only because {@link KafkaMetrics}, which takes the metrics to bind, is package-private.
 */
public final class KafkaStreamsMetricsWithoutStores extends KafkaMetrics {

    /** The group of Kafka Streams' state store metrics. */
    public static final String STORE_GROUP = "stream-state-metrics";

    /** Bound again every {@code refreshInterval}, as threads, clients and tasks come and go. */
    public KafkaStreamsMetricsWithoutStores(KafkaStreams streams, Duration refreshInterval) {
        // Its own refresher, which Micrometer stops as it closes the binder (not externally managed).
        super(() -> withoutStores(streams.metrics()), Tags.empty(), Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "micrometer-kafka-metrics");
            thread.setDaemon(true);
            return thread;
        }), false, refreshInterval);
    }

    static Map<MetricName, ? extends Metric> withoutStores(Map<MetricName, ? extends Metric> metrics) {
        return metrics.entrySet().stream().filter(metric -> !metric.getKey().group().equals(STORE_GROUP))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
