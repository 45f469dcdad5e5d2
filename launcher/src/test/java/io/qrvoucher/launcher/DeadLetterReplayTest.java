package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

            DeadLetterReplay.Result dryRun = DeadLetterReplay.replay(broker.adminConfig(), "voucher-dead-letters",
                    "voucher-requests", false);
            assertThat(dryRun).isEqualTo(new DeadLetterReplay.Result(2, 1));
            assertThat(endOffsetOf(broker, "voucher-requests")).as("nothing written").isZero();

            DeadLetterReplay.Result applied = DeadLetterReplay.replay(broker.adminConfig(), "voucher-dead-letters",
                    "voucher-requests", true);

            assertThat(applied).isEqualTo(new DeadLetterReplay.Result(2, 1));
            List<ConsumerRecord<String, String>> replayed = read(broker, "voucher-requests", 1);
            assertThat(replayed).singleElement().satisfies(record -> {
                assertThat(record.key()).isEqualTo("v1");
                assertThat(record.value()).isEqualTo("request bytes");
            });
        }
    }

    @Test
    void onASecuredClusterItLogsInWithTheClientPropertiesOfCommandConfig(@TempDir Path directory) throws IOException {
        try (TestBroker broker = TestBroker.startSecured(1, "voucher-dead-letters", "voucher-requests");
             KafkaProducer<String, String> producer = new KafkaProducer<>(broker.adminConfig(), new StringSerializer(),
                     new StringSerializer())) {
            producer.send(deadLetter("v1", "request bytes", "voucher-requests"));
            producer.flush();
            // An operator's login, as Kafka's own tools read it with --command-config.
            Properties login = new Properties();
            broker.adminConfig().forEach((name, value) -> login.setProperty(name, value.toString()));
            login.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
            Path commandConfig = directory.resolve("admin.properties");
            try (OutputStream out = Files.newOutputStream(commandConfig)) {
                login.store(out, null);
            }

            DeadLetterReplay.Result applied = DeadLetterReplay.run("--bootstrap-servers=" + broker.bootstrapServers(),
                    "--command-config=" + commandConfig, "--dead-letters=voucher-dead-letters", "--apply");

            assertThat(applied).isEqualTo(new DeadLetterReplay.Result(1, 1));
            assertThat(read(broker, "voucher-requests", 1)).singleElement()
                    .satisfies(record -> assertThat(record.value()).isEqualTo("request bytes"));
        }
    }

    private static ProducerRecord<String, String> deadLetter(String key, String value, String source) {
        ProducerRecord<String, String> record = new ProducerRecord<>("voucher-dead-letters", key, value);
        record.headers().add(DeadLetterHeaders.SOURCE_TOPIC, source.getBytes(StandardCharsets.UTF_8));
        record.headers().add(DeadLetterHeaders.REASON, "unreadable".getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /** The end offset of the topic's one partition: how many records were ever written to it. */
    private static long endOffsetOf(TestBroker broker, String topic) {
        try (Admin admin = Admin.create(broker.adminConfig())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                    .get(20, TimeUnit.SECONDS).offset();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<ConsumerRecord<String, String>> read(TestBroker broker, String topic, int expected) {
        Map<String, Object> config = new HashMap<>(broker.adminConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
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
