package io.qrvoucher.launcher;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;

import io.qrvoucher.schemas.Topics;

/**
 * Creates the pipeline's topics as {@link Topics} defines them: their cleanup policies and retention, and
 * one partition count for all, which keeps the co-partitioned ones co-partitioned.
 */
public final class PipelineTopics {

    public static final Set<String> COMPACTED = Topics.ALL.stream().filter(topic -> topic.cleanup() == Topics.Cleanup.COMPACT)
            .map(Topics.Topic::name).collect(Collectors.toUnmodifiableSet());
    public static final List<String> ALL = Topics.names();
    /** The topics whose keys must stay on their partitions: those of the co-partitioned groups. */
    private static final Set<String> CO_PARTITIONED = Topics.coPartitioned().stream().flatMap(List::stream)
            .collect(Collectors.toUnmodifiableSet());

    private PipelineTopics() {
    }

    /**
     * Creates the topics that do not exist yet; with more than one replica, writes need two in sync
     * ({@code min.insync.replicas=2}), so that an acknowledged record survives the loss of a broker. Co-partitioned
     * topics that exist must have {@code partitions}: their count cannot change under a running pipeline (a key would
     * move to another partition, away from its voucher's state), so a difference is refused, naming the topics.
     */
    public static void create(String bootstrapServers, int partitions, short replicationFactor) {
        create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), partitions, replicationFactor);
    }

    /** As {@link #create(String, int, short)}, by a client of this configuration: on a secured cluster, an operator's. */
    public static void create(Map<String, Object> adminConfig, int partitions, short replicationFactor) {
        try (Admin admin = Admin.create(adminConfig)) {
            Set<String> existing = admin.listTopics().names().get();
            Map<String, Integer> otherCounts = partitionCounts(admin, existing).entrySet().stream()
                    .filter(topic -> CO_PARTITIONED.contains(topic.getKey()) && topic.getValue() != partitions)
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
            if (!otherCounts.isEmpty()) {
                throw new IllegalStateException("The pipeline's co-partitioned topics exist with other partition "
                        + "counts than " + partitions + ": " + otherCounts + ". Their count cannot change under a "
                        + "pipeline (keys would move away from their state): keep the count they have, or start anew");
            }
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

    /** The partition counts of the pipeline's topics that exist, by name. */
    public static Map<String, Integer> partitionCounts(String bootstrapServers) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            return partitionCounts(admin, admin.listTopics().names().get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot read the pipeline's topics", e.getCause());
        }
    }

    private static Map<String, Integer> partitionCounts(Admin admin, Set<String> existing)
            throws InterruptedException, ExecutionException {
        List<String> ours = ALL.stream().filter(existing::contains).toList();
        return admin.describeTopics(ours).allTopicNames().get().values().stream()
                .collect(Collectors.toMap(TopicDescription::name, topic -> topic.partitions().size()));
    }

    static Map<String, String> configOf(String topic, short replicationFactor) {
        Map<String, String> config = new java.util.HashMap<>(configOf(topic));
        if (replicationFactor > 1) {
            config.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
        }
        return config;
    }

    /** The settings a topic is created with beyond the cluster's defaults: a compacted one's policy, a retention. */
    static Map<String, String> configOf(String name) {
        Topics.Topic topic = Topics.named(name);
        Map<String, String> config = new java.util.HashMap<>();
        if (topic.cleanup() == Topics.Cleanup.COMPACT) {
            config.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        }
        topic.retention().ifPresent(retention -> {
            config.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
            config.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(retention.toMillis()));
        });
        return Map.copyOf(config);
    }
}
