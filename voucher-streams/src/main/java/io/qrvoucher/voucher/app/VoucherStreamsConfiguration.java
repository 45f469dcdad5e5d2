package io.qrvoucher.voucher.app;

import java.time.Duration;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.qrvoucher.support.KafkaBrokerHealthIndicator;

@Configuration(proxyBeanMethods = false)
class VoucherStreamsConfiguration {

    private static final Logger log = LoggerFactory.getLogger(VoucherStreamsConfiguration.class);

    @Bean
    Topology voucherTopology(VoucherStreamsProperties properties) {
        return properties.topology();
    }

    @Bean(initMethod = "start", destroyMethod = "")
    KafkaStreams voucherStreams(Topology voucherTopology, VoucherStreamsProperties properties) {
        KafkaStreams streams = new KafkaStreams(voucherTopology, properties.streamsConfig());
        // A thread that dies on an unexpected error is replaced; its tasks restart from the last commit.
        streams.setUncaughtExceptionHandler(error -> {
            log.error("Stream thread failed; replacing it", error);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        return streams;
    }

    /** Closes the topology cleanly: its open transaction ends, and it leaves the group so that others take over at once. */
    @Bean
    DisposableBean voucherStreamsCloser(KafkaStreams voucherStreams) {
        return () -> voucherStreams.close(new KafkaStreams.CloseOptions().leaveGroup(true).timeout(Duration.ofSeconds(30)));
    }

    @Bean
    VoucherStreamsHealthIndicator voucherStreamsHealthIndicator(KafkaStreams voucherStreams) {
        return new VoucherStreamsHealthIndicator(voucherStreams);
    }

    @Bean
    KafkaBrokerHealthIndicator kafkaBrokerHealthIndicator(VoucherStreamsProperties properties) {
        return new KafkaBrokerHealthIndicator(properties.bootstrapServers());
    }

    /** Kafka Streams' own metrics (threads, clients, consumer lag) in Micrometer. */
    @Bean
    KafkaStreamsMetrics voucherStreamsMetrics(KafkaStreams voucherStreams) {
        return new KafkaStreamsMetrics(voucherStreams);
    }

    @Bean
    TopologyMeters topologyMeters(KafkaStreams voucherStreams) {
        return new TopologyMeters(voucherStreams);
    }
}
