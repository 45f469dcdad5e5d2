package io.qrvoucher.ledger.kafka;

import java.util.Collection;

import org.apache.kafka.common.TopicPartition;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * UP while the command listener runs, with the partitions it holds. An instance with no partition
 * is still healthy: with more instances than partitions some wait as standbys.
 */
class LedgerListenerHealthIndicator extends AbstractHealthIndicator {

    private final KafkaListenerEndpointRegistry listeners;

    LedgerListenerHealthIndicator(KafkaListenerEndpointRegistry listeners) {
        this.listeners = listeners;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        MessageListenerContainer container = listeners.getListenerContainer(LedgerCommandListener.ID);
        if (container == null || !container.isRunning()) {
            builder.down().withDetail("listener", "not running");
            return;
        }
        Collection<TopicPartition> assigned = container.getAssignedPartitions();
        builder.up().withDetail("assignedPartitions", assigned == null ? 0 : assigned.size());
    }
}
