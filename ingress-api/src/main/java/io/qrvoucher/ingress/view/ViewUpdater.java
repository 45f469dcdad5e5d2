package io.qrvoucher.ingress.view;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.schemas.AvroSerde;

/**
 * Feeds the {@link PipelineView} of this instance: one consumer, no consumer group, assigned every
 * partition of the claims topic, from its beginning (it keeps a day of claims),
 * reading only committed records. A record it cannot read is logged and skipped: the ingress is a
 * reader, and the writer's dead-letter topic is where such a record is dealt with.
 */
public class ViewUpdater implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ViewUpdater.class);
    private static final Duration CLAIM_PURGE_INTERVAL = Duration.ofMinutes(1);

    private final PipelineView view;
    private final IngressProperties properties;
    private final AvroSerde<IdempotencyClaim> claims = AvroSerde.of(IdempotencyClaim.class);
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean caughtUp = new AtomicBoolean();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public ViewUpdater(PipelineView view, IngressProperties properties) {
        this.view = view;
        this.properties = properties;
    }

    /** True once the view holds everything that was on the topics when the instance started. */
    public boolean isCaughtUp() {
        return caughtUp.get();
    }

    @Override
    public void start() {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "ingress-view-" + ProcessHandle.current().pid()),
                new StringDeserializer(), new ByteArrayDeserializer());
        running.set(true);
        thread = new Thread(this::run, "ingress-view-updater");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        IngressProperties.Topics topics = properties.topics();
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.idempotency())) {
                awaitTopic(topic).forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> startEnds = consumer.endOffsets(partitions);
            long nextClaimPurge = System.nanoTime();
            while (running.get()) {
                if (System.nanoTime() - nextClaimPurge >= 0) {
                    view.forgetExpiredClaims();
                    nextClaimPurge = System.nanoTime() + CLAIM_PURGE_INTERVAL.toNanos();
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record);
                }
                for (TopicPartition partition : partitions) {
                    if (partition.topic().equals(topics.idempotency())) {
                        view.claimsReadUpTo(partition.partition(), consumer.position(partition));
                    }
                }
                if (!caughtUp.get() && startEnds.entrySet().stream()
                        .allMatch(end -> consumer.position(end.getKey()) >= end.getValue())) {
                    caughtUp.set(true);
                    log.info("Ingress view caught up with {} partitions", partitions.size());
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            log.error("Ingress view updater stopped", e);
        } finally {
            consumer.close();
        }
    }

    private List<org.apache.kafka.common.PartitionInfo> awaitTopic(String topic) {
        while (running.get()) {
            List<org.apache.kafka.common.PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (partitions != null && !partitions.isEmpty()) {
                return partitions;
            }
            log.warn("Topic {} does not exist yet; waiting for it", topic);
        }
        throw new WakeupException();
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        IngressProperties.Topics topics = properties.topics();
        String topic = record.topic();
        try {
            if (topic.equals(topics.idempotency())) {
                view.apply(claims.decode(record.value()));
            }
        } catch (RuntimeException e) {
            log.warn("Skipping unreadable record {}-{}@{}: {}", topic, record.partition(), record.offset(), e.getMessage());
        }
    }

    @Override
    public void stop() {
        running.set(false);
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(10).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running.get();
    }
}
