package io.qrvoucher.launcher;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The pipeline's topics with their partitions and cleanup policies: the state topics are compacted,
 * idempotency claims are kept for a day and never compacted (the first claim of a key must stay), customers'
 * attempts for an hour.
 * {@code voucher-requests} and {@code ledger-results} must have the same partition count.
 */
public final class PipelineTopics {

    public static final Set<String> COMPACTED = Set.of("customer-vouchers", "account-snapshots", "customer-settings");
    public static final List<String> ALL = List.of("voucher-requests", "ledger-results", "ledger-commands", "voucher-events",
            "customer-vouchers", "account-snapshots", "customer-settings", "settings-changes", "ingress-idempotency", "customer-attempts",
            "voucher-dead-letters", "ledger-dead-letters");
    private static final String ONE_DAY = Long.toString(24 * 60 * 60 * 1000L);
    private static final String ONE_HOUR = Long.toString(60 * 60 * 1000L);

    private PipelineTopics() {
    }

    /**
     * Creates the topics that do not exist yet; with more than one replica, writes need two in sync
     * ({@code min.insync.replicas=2}), so that an acknowledged record survives the loss of a broker.
     */
    public static void create(String bootstrapServers, int partitions, short replicationFactor) {
        create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), partitions, replicationFactor);
    }

    /** As {@link #create(String, int, short)}, by a client of this configuration: on a secured cluster, an operator's. */
    public static void create(Map<String, Object> adminConfig, int partitions, short replicationFactor) {
        try (Admin admin = Admin.create(adminConfig)) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = ALL.stream()
                    .filter(name -> !existing.contains(name))
                    .map(name -> new NewTopic(name, partitions, replicationFactor).configs(configOf(name, replicationFactor)))
                    .toList();
            admin.createTopics(missing).all().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot create the pipeline's topics", e.getCause());
        }
    }

    static Map<String, String> configOf(String topic, short replicationFactor) {
        Map<String, String> config = new java.util.HashMap<>(configOf(topic));
        if (replicationFactor > 1) {
            config.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
        }
        return config;
    }

    static Map<String, String> configOf(String topic) {
        if (COMPACTED.contains(topic)) {
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        }
        if (topic.equals("ingress-idempotency")) {
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, ONE_DAY);
        }
        if (topic.equals("customer-attempts")) {
            // Kept by voucher-streams in a store with its own changelog; the topic only carries them there.
            return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, ONE_HOUR);
        }
        return Map.of();
    }
}
