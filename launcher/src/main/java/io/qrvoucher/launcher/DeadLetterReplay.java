package io.qrvoucher.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.CommonClientConfigs;
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
 * {@code --apply} it only lists what it would replay. On a secured cluster, {@code --command-config} names
 * a client properties file as Kafka's own tools take it ({@code security.protocol}, {@code ssl.*},
 * {@code sasl.*}): an operator's login, since no service may write another's topics.
 *
 * <pre>
 * java -cp launcher/target/launcher-*-exec.jar -Dloader.main=io.qrvoucher.launcher.DeadLetterReplay \
 *      org.springframework.boot.loader.launch.PropertiesLauncher \
 *      --bootstrap-servers=localhost:9092 [--command-config=admin.properties] \
 *      --dead-letters=voucher-dead-letters [--source=voucher-requests] [--apply]
 * </pre>
 */
public final class DeadLetterReplay {

    private DeadLetterReplay() {
    }

    public record Result(int seen, int replayed) {
    }

    public static void main(String[] args) {
        Result result = run(args);
        System.out.printf("%d dead letters read, %d %s%n", result.seen(), result.replayed(),
                Arrays.asList(args).contains("--apply") ? "replayed" : "would be replayed (add --apply)");
    }

    /** Replays as the command line says; returns the counts. */
    static Result run(String... args) {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            String[] pair = arg.split("=", 2);
            options.put(pair[0], pair.length > 1 ? pair[1] : "true");
        }
        return replay(clientConfig(options), options.getOrDefault("--dead-letters", "voucher-dead-letters"),
                options.get("--source"), options.containsKey("--apply"));
    }

    /**
     * The cluster and the login, as Kafka's tools take them: the properties of {@code --command-config}, with
     * {@code --bootstrap-servers} (else the file's {@code bootstrap.servers}, else localhost:9092).
     */
    private static Map<String, Object> clientConfig(Map<String, String> options) {
        Map<String, Object> config = new HashMap<>();
        String commandConfig = options.get("--command-config");
        if (commandConfig != null) {
            Properties file = new Properties();
            try (InputStream in = Files.newInputStream(Path.of(commandConfig))) {
                file.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the client properties of --command-config " + commandConfig, e);
            }
            file.stringPropertyNames().forEach(name -> config.put(name, file.getProperty(name)));
        }
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, options.getOrDefault("--bootstrap-servers",
                (String) config.getOrDefault(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092")));
        return config;
    }

    /**
     * Replays every dead letter from {@code source} (or from any topic when null); returns the counts.
     *
     * @param clientConfig the cluster and, on a secured one, the login (the properties Kafka's clients take)
     */
    public static Result replay(Map<String, Object> clientConfig, String deadLetterTopic, String source, boolean apply) {
        Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
        consumerConfig.putAll(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "dead-letter-replay-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
        Map<String, Object> producerConfig = new HashMap<>(clientConfig);
        producerConfig.putAll(Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(),
                     new ByteArraySerializer())) {
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
