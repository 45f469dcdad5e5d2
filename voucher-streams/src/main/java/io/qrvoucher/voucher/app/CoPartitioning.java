package io.qrvoucher.voucher.app;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.support.KafkaConnection;

/**
 * The topics the topology reads by the same key must have the same number of partitions: a voucher's
 * ledger results must reach the task that holds the voucher, a customer's legacy settings the task
 * that merges the customer's changes. Kafka Streams checks that only for the DSL's joins, so the
 * service checks it itself before it starts, and refuses to start on a mismatch.
 */
final class CoPartitioning {

    private static final Logger log = LoggerFactory.getLogger(CoPartitioning.class);
    private static final long DESCRIBE_TIMEOUT_SECONDS = 30;

    private CoPartitioning() {
    }

    /** @throws IllegalStateException when two topics of a group have different partition counts */
    static void check(KafkaConnection cluster, List<List<String>> groups) {
        List<String> topics = groups.stream().flatMap(List::stream).toList();
        Map<String, Integer> partitions;
        try (Admin admin = Admin.create(cluster.config())) {
            partitions = admin.describeTopics(topics).allTopicNames().get(DESCRIBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .values().stream()
                    .collect(Collectors.toMap(TopicDescription::name, description -> description.partitions().size()));
        } catch (ExecutionException | TimeoutException e) {
            // A topic missing, or no broker yet: Kafka Streams itself waits for (or reports) that.
            log.warn("Could not check the partition counts of {}: {}", topics, e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        for (List<String> group : groups) {
            if (group.stream().map(partitions::get).distinct().count() > 1) {
                throw new IllegalStateException("Topics " + group + " must have the same number of partitions, "
                        + "since the topology reads them by the same key; they have "
                        + group.stream().map(topic -> topic + "=" + partitions.get(topic)).toList()
                        + ". Recreate them with equal counts before starting voucher-streams.");
            }
        }
    }
}
