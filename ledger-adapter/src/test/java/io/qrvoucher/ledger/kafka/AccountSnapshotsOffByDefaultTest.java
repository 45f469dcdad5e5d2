package io.qrvoucher.ledger.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.ledger.LedgerDatabases;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.schemas.AvroSerde;

/**
 * An adapter as shipped answers every command and publishes no account snapshots: not the accounts at start,
 * not the accounts a command changed. ({@code LedgerAdapterKafkaTest} shows them published when asked for.)
 */
class AccountSnapshotsOffByDefaultTest {

    @Test
    void commandsAreAnsweredAndNoAccountSnapshotIsPublished() {
        String database = LedgerDatabases.newLedger();
        try (TestBroker broker = TestBroker.start(1, "ledger-commands", "ledger-results", "account-snapshots",
                     "ledger-dead-letters", "voucher-events");
             ConfigurableApplicationContext adapter = LedgerAdapterApplication.builder().profiles("demo")
                     .run("--server.port=0", "--management.server.port=0", "--spring.datasource.url=" + database,
                             "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                             "--spring.kafka.bootstrap-servers=" + broker.bootstrapServers());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                     Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                     new StringSerializer(), new ByteArraySerializer());
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results");
             KafkaConsumer<byte[], byte[]> snapshots = new KafkaConsumer<>(
                     Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                     new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            LedgerCommands.send(producer, "v1", new FreezeFunds("alice", "alice-cny", 10_00L, "CNY"), "/freeze");
            LedgerCommands.send(producer, "v1", new ReleaseFunds(), "/release");

            // One voucher's commands are applied in order, each published before the next is taken: once the
            // release is answered, whatever the freeze published is on the broker.
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    results.values("ledger-results", "v1", AvroSerde.of(LedgerResult.class)::decode).size() == 2);
            assertThat(snapshots.endOffsets(List.of(new TopicPartition("account-snapshots", 0))))
                    .as("records ever written to account-snapshots").containsOnly(entry(new TopicPartition("account-snapshots", 0), 0L));
        }
    }
}
