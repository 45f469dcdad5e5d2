package io.qrvoucher.voucher.app;

import org.apache.kafka.streams.KafkaStreams;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import io.qrvoucher.voucher.query.BrokerContact;

/**
 * UP while the topology runs (or rebalances); DOWN when it stopped or failed. Its details say whether the instance
 * answers reads: one out of contact with the brokers refuses them ({@link BrokerContact}) while its topology still
 * runs, and comes back by itself once heard from again, so that is a detail, not a status: no restart mends it.
 */
class VoucherStreamsHealthIndicator extends AbstractHealthIndicator {

    private final KafkaStreams streams;
    private final BrokerContact brokerContact;

    VoucherStreamsHealthIndicator(KafkaStreams streams, BrokerContact brokerContact) {
        this.streams = streams;
        this.brokerContact = brokerContact;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        KafkaStreams.State state = streams.state();
        boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
        (up ? builder.up() : builder.down()).withDetail("state", state.name())
                .withDetail("threads", streams.metadataForLocalThreads().size())
                .withDetail("reads", brokerContact.inContact() ? "answered"
                        : "refused: out of contact with the brokers, another instance may hold its partitions");
    }
}
