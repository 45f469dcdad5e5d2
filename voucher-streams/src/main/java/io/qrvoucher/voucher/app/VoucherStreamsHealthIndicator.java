package io.qrvoucher.voucher.app;

import org.apache.kafka.streams.KafkaStreams;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/** UP while the topology runs (or rebalances); DOWN when it stopped or failed. */
class VoucherStreamsHealthIndicator extends AbstractHealthIndicator {

    private final KafkaStreams streams;

    VoucherStreamsHealthIndicator(KafkaStreams streams) {
        this.streams = streams;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        KafkaStreams.State state = streams.state();
        boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
        (up ? builder.up() : builder.down()).withDetail("state", state.name())
                .withDetail("threads", streams.metadataForLocalThreads().size());
    }
}
