package io.qrvoucher.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a consumer group has got through a topic, asked of the broker: a group is done when it
 * has committed the end offset of every partition. Under exactly-once a commit is the end of a
 * transaction, so a committed offset counts only work whose outputs are committed too.
 */
final class Completion {

    private final Admin admin;

    Completion(Admin admin) {
        this.admin = admin;
    }

    /** Records committed by {@code group} on {@code topic}, summed over its partitions. */
    long committed(String group, String topic) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            return offsets.entrySet().stream()
                    .filter(entry -> entry.getKey().topic().equals(topic) && entry.getValue() != null)
                    .mapToLong(entry -> entry.getValue().offset())
                    .sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot read the offsets of " + group, e.getCause());
        }
    }

    /** The end offsets of {@code topic}, summed over its partitions. */
    long end(String topic) {
        try {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(
                    info -> new TopicPartition(topic, info.partition()), info -> OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(ListOffsetsResultInfo::offset).sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot read the end offsets of " + topic, e.getCause());
        }
    }

    /**
     * Waits until {@code group} has committed {@code target} records of {@code topic}, showing its
     * progress; returns when it did, in {@link System#nanoTime()}.
     */
    long awaitCommitted(String group, String topic, long target, Duration atMost, ProgressBar progress) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            long done = committed(group, topic);
            progress.show(done, target);
            if (done >= target) {
                return System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(group + " committed " + done + " of " + target + " records of " + topic
                        + " within " + atMost);
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }
}
