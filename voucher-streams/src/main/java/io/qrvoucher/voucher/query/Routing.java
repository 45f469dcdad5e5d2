package io.qrvoucher.voucher.query;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsMetadata;

/**
 * Which instance holds which partitions of the topics whose keys readers route by: as the active task,
 * and as standbys. Readers compute a key's partition as Kafka's default partitioner does, and ask an
 * instance that holds it.
 */
public record Routing(List<Instance> instances) {

    public record Instance(String url, Map<String, List<Integer>> active, Map<String, List<Integer>> standby) {
    }

    public static Routing of(Collection<StreamsMetadata> clients, Set<String> topics) {
        return new Routing(clients.stream()
                .map(client -> new Instance("http://" + client.host() + ":" + client.port(),
                        partitionsOf(client.topicPartitions(), topics),
                        partitionsOf(client.standbyTopicPartitions(), topics)))
                .toList());
    }

    private static Map<String, List<Integer>> partitionsOf(Set<TopicPartition> partitions, Set<String> topics) {
        return partitions.stream()
                .filter(partition -> topics.contains(partition.topic()))
                .collect(Collectors.groupingBy(TopicPartition::topic, TreeMap::new,
                        Collectors.mapping(TopicPartition::partition, Collectors.collectingAndThen(Collectors.toList(),
                                list -> list.stream().sorted().toList()))));
    }
}
