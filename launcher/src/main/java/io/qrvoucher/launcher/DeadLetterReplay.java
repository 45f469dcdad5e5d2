package io.qrvoucher.launcher;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.qrvoucher.schemas.DeadLetterHeaders;

/**
 * Sends dead letters back to the topic they came from, once whatever made them unreadable is fixed
 * (a reader upgraded to a new schema, a producer bug corrected). Each record goes back with its
 * original key and value; the {@code dlt.*} headers stay on it as its history. Without
 * {@code --apply} it only lists what it would replay.
 *
 * <pre>
 * java -cp launcher/target/launcher-*-exec.jar -Dloader.main=io.qrvoucher.launcher.DeadLetterReplay \
 *      org.springframework.boot.loader.launch.PropertiesLauncher \
 *      --bootstrap-servers=localhost:9092 --dead-letters=voucher-dead-letters [--source=voucher-requests] [--apply]
 * </pre>
 */
public final class DeadLetterReplay {

    private DeadLetterReplay() {
    }

    public record Result(int seen, int replayed) {
    }

    public static void main(String[] args) {
        Map<String, String> options = new java.util.HashMap<>();
        for (String arg : args) {
            String[] pair = arg.split("=", 2);
            options.put(pair[0], pair.length > 1 ? pair[1] : "true");
        }
        Result result = replay(options.getOrDefault("--bootstrap-servers", "localhost:9092"),
                options.getOrDefault("--dead-letters", "voucher-dead-letters"), options.get("--source"),
                options.containsKey("--apply"));
        System.out.printf("%d dead letters read, %d %s%n", result.seen(), result.replayed(),
                options.containsKey("--apply") ? "replayed" : "would be replayed (add --apply)");
    }

    /** Replays every dead letter from {@code source} (or from any topic when null); returns the counts. */
    public static Result replay(String bootstrapServers, String deadLetterTopic, String source, boolean apply) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "dead-letter-replay-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(deadLetterTopic).stream()
                    .map(info -> new TopicPartition(deadLetterTopic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            int seen = 0;
            int replayed = 0;
            while (partitions.stream().anyMatch(partition -> consumer.position(partition) < ends.get(partition))) {
                for (ConsumerRecord<byte[], byte[]> letter : consumer.poll(Duration.ofMillis(500))) {
                    seen++;
                    String origin = header(letter, DeadLetterHeaders.SOURCE_TOPIC);
                    System.out.printf("%s-%d@%d from %s: %s%n", letter.topic(), letter.partition(), letter.offset(),
                            origin, header(letter, DeadLetterHeaders.REASON));
                    if (origin == null || (source != null && !source.equals(origin))) {
                        continue;
                    }
                    if (apply) {
                        producer.send(new ProducerRecord<>(origin, null, letter.key(), letter.value(), letter.headers()));
                    }
                    replayed++;
                }
            }
            producer.flush();
            return new Result(seen, replayed);
        }
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
