package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.schemas.DeadLetterHeaders;

class DeadLetterReplayTest {

    @Test
    void deadLettersGoBackToTheirSourceTopicOnlyWhenAsked() {
        try (TestBroker broker = TestBroker.start(1, "voucher-dead-letters", "voucher-requests", "ledger-results");
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            producer.send(deadLetter("v1", "request bytes", "voucher-requests"));
            producer.send(deadLetter("v2", "result bytes", "ledger-results"));
            producer.flush();

            DeadLetterReplay.Result dryRun = DeadLetterReplay.replay(broker.bootstrapServers(), "voucher-dead-letters",
                    "voucher-requests", false);
            assertThat(dryRun).isEqualTo(new DeadLetterReplay.Result(2, 1));
            assertThat(read(broker, "voucher-requests", 0)).isEmpty();

            DeadLetterReplay.Result applied = DeadLetterReplay.replay(broker.bootstrapServers(), "voucher-dead-letters",
                    "voucher-requests", true);

            assertThat(applied).isEqualTo(new DeadLetterReplay.Result(2, 1));
            List<ConsumerRecord<String, String>> replayed = read(broker, "voucher-requests", 1);
            assertThat(replayed).singleElement().satisfies(record -> {
                assertThat(record.key()).isEqualTo("v1");
                assertThat(record.value()).isEqualTo("request bytes");
            });
        }
    }

    private static ProducerRecord<String, String> deadLetter(String key, String value, String source) {
        ProducerRecord<String, String> record = new ProducerRecord<>("voucher-dead-letters", key, value);
        record.headers().add(DeadLetterHeaders.SOURCE_TOPIC, source.getBytes(StandardCharsets.UTF_8));
        record.headers().add(DeadLetterHeaders.REASON, "unreadable".getBytes(StandardCharsets.UTF_8));
        return record;
    }

    private static List<ConsumerRecord<String, String>> read(TestBroker broker, String topic, int expected) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                consumer.poll(Duration.ofMillis(300)).forEach(records::add);
                return records.size() >= expected && !consumer.assignment().isEmpty();
            });
            return records;
        }
    }
}
