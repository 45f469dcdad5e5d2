package io.qrvoucher.voucher.app;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.support.KafkaConnection;

/**
 * The topics the topology reads by the same key must have the same number of partitions: a voucher's
 * ledger results must reach the task that holds the voucher, a customer's legacy settings the task
 * that merges the customer's changes. Kafka Streams checks that only for the DSL's joins, so the
 * service checks it itself before it starts, and refuses to start on a mismatch — or when it cannot check
 * (a topic missing, the brokers not reachable) for two minutes: it used to start unchecked then, so that topics
 * made afterwards with other counts went unnoticed (and ledger results reached tasks that do not hold their
 * vouchers). A deployment that starts the service before its topics exist sees it restart until they do.
 */
final class CoPartitioning {

    private static final Logger log = LoggerFactory.getLogger(CoPartitioning.class);
    private static final Duration CHECK_FOR = Duration.ofMinutes(2);
    private static final Duration AGAIN_AFTER = Duration.ofSeconds(2);
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

    private CoPartitioning() {
    }

    /** @throws IllegalStateException when two topics of a group have different partition counts, or cannot be told */
    static void check(KafkaConnection cluster, List<List<String>> groups) {
        check(cluster, groups, CHECK_FOR, AGAIN_AFTER);
    }

    static void check(KafkaConnection cluster, List<List<String>> groups, Duration checkFor, Duration againAfter) {
        List<String> topics = groups.stream().flatMap(List::stream).toList();
        Map<String, Integer> partitions = partitionCounts(cluster, topics, checkFor, againAfter);
        for (List<String> group : groups) {
            if (group.stream().map(partitions::get).distinct().count() > 1) {
                throw new IllegalStateException("Topics " + group + " must have the same number of partitions, "
                        + "since the topology reads them by the same key; they have "
                        + group.stream().map(topic -> topic + "=" + partitions.get(topic)).toList()
                        + ". Recreate them with equal counts before starting voucher-streams.");
            }
        }
    }

    private static Map<String, Integer> partitionCounts(KafkaConnection cluster, List<String> topics, Duration checkFor,
                                                        Duration againAfter) {
        long deadline = System.nanoTime() + checkFor.toNanos();
        try (Admin admin = Admin.create(cluster.config())) {
            while (true) {
                try {
                    return admin.describeTopics(topics).allTopicNames()
                            .get(Math.min(ATTEMPT_TIMEOUT.toMillis(), checkFor.toMillis()), TimeUnit.MILLISECONDS)
                            .values().stream()
                            .collect(Collectors.toMap(TopicDescription::name, description -> description.partitions().size()));
                } catch (ExecutionException | TimeoutException e) {
                    if (e.getCause() instanceof AuthenticationException || e.getCause() instanceof AuthorizationException) {
                        throw new IllegalStateException("Cannot check the partition counts of " + topics + ": "
                                + e.getCause().getMessage() + " (its credentials or ACLs, which waiting does not mend)", e);
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Could not check the partition counts of " + topics + " for "
                                + checkFor.toSeconds() + " s (" + e.getMessage() + "): create the topics, with equal "
                                + "counts where the topology reads them by the same key, and reach the brokers, "
                                + "before starting voucher-streams", e);
                    }
                    log.warn("Cannot check the partition counts of {} yet: {}", topics, e.getMessage());
                    if (e instanceof ExecutionException) {
                        Thread.sleep(againAfter.toMillis()); // a topic missing answers at once: not a busy loop
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while checking the partition counts of " + topics, e);
        }
    }
}
