package io.qrvoucher.ledger.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads everything written to some topics since the start, for assertions. */
public final class TopicReader implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private static final Duration READ_TO_THE_END = Duration.ofSeconds(30);

    private final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();

    public TopicReader(String bootstrapServers, String... topics) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topics));
    }

    /** Everything committed to {@code topic} under {@code key} so far, decoded. */
    public <T> List<T> values(String topic, String key, Function<byte[], T> decoder) {
        return records(topic, key).stream().map(r -> decoder.apply(r.value())).toList();
    }

    public List<ConsumerRecord<String, byte[]>> records(String topic, String key) {
        readToTheEnd();
        return seen.stream().filter(r -> r.topic().equals(topic) && (key == null || key.equals(r.key()))).toList();
    }

    /**
     * Reads until every record committed so far is read (a fresh reader first joins its group and is
     * assigned its partitions), for at most 30 s: what is missing then is missing from the assertions.
     */
    private void readToTheEnd() {
        long deadline = System.nanoTime() + READ_TO_THE_END.toNanos();
        do {
            consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
        } while (!caughtUp() && System.nanoTime() < deadline);
    }

    /** Read committed: a partition's end is its last stable offset, before any transaction still open. */
    private boolean caughtUp() {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return false;
        }
        Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
        return assigned.stream().allMatch(partition -> consumer.position(partition) >= ends.get(partition));
    }

    @Override
    public void close() {
        consumer.close();
    }
}
