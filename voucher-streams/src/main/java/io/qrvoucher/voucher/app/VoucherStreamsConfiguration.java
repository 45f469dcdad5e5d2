package io.qrvoucher.voucher.app;

import java.time.Duration;
import java.util.Properties;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetricsWithoutStores;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.qrvoucher.support.BankRules;
import io.qrvoucher.support.KafkaBrokerHealthIndicator;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;
import io.qrvoucher.voucher.query.BrokerContact;
import io.qrvoucher.voucher.query.StandbyLags;
import io.qrvoucher.voucher.query.StoreReads;
import io.qrvoucher.voucher.query.Ticks;
import io.qrvoucher.voucher.query.VoucherQueries;
import io.qrvoucher.voucher.query.VoucherWatches;
import io.qrvoucher.voucher.streams.VoucherChanges;
import io.qrvoucher.voucher.streams.WholePartitions;
import reactor.core.scheduler.Schedulers;

@Configuration(proxyBeanMethods = false)
class VoucherStreamsConfiguration {

    private static final Logger log = LoggerFactory.getLogger(VoucherStreamsConfiguration.class);
    /** How often a customer waiting for a change of their settings reads them (nobody announces those). */
    private static final Duration SETTINGS_TICK = Duration.ofMillis(5);
    private static final Duration WATCH_IDLE_RECHECK = Duration.ofSeconds(1);
    private static final Duration STANDBY_LAG_LOOKS = Duration.ofSeconds(1);
    /** Well inside the second that {@link BrokerContact#MARGIN} leaves for a look's period and a round trip. */
    private static final Duration CONTACT_LOOKS = Duration.ofMillis(200);

    /** The ingress's live status long polls over shared HTTP/2 connections: see {@link Http2LongPolls}. */
    @Bean
    NettyServerCustomizer http2LongPolls() {
        return new Http2LongPolls();
    }

    /** Forwards the topology's change hints to the watches, which exist only once the streams do. */
    @Bean
    ChangeRelay changeRelay() {
        return new ChangeRelay();
    }

    @Bean
    StalledVoucherRegistry stalledVouchers() {
        return new StalledVoucherRegistry();
    }

    /** Which store partitions the topology's tasks hold whole here: where the queries may trust a miss. */
    @Bean
    WholePartitions wholePartitions() {
        return new WholePartitions();
    }

    @Bean
    Topology voucherTopology(VoucherStreamsProperties properties, BankRules bankRules, ChangeRelay changeRelay,
                             StalledVoucherRegistry stalledVouchers, Tracer tracer, Propagator propagator,
                             WholePartitions wholePartitions) {
        return properties.topology(bankRules, changeRelay, stalledVouchers,
                new TracedRecords(new KafkaTracing(tracer, propagator)), wholePartitions);
    }

    /** The cluster, as every Kafka client of the service reaches it: Kafka Streams, the start-up check, the health check. */
    @Bean
    KafkaConnection kafkaConnection(KafkaProperties kafka, VoucherStreamsProperties properties) {
        return KafkaConnection.of(kafka, properties.bootstrapServers());
    }

    @Bean(initMethod = "start", destroyMethod = "")
    KafkaStreams voucherStreams(Topology voucherTopology, VoucherStreamsProperties properties, KafkaConnection kafkaConnection,
                                WholePartitions wholePartitions, StandbyLags standbyLags, BrokerContact brokerContact) {
        CoPartitioning.check(kafkaConnection, properties.topics().coPartitioned());
        Properties config = properties.streamsConfig(kafkaConnection);
        KafkaStreams streams = new KafkaStreams(voucherTopology, config);
        wholePartitions.watch(streams, standbyLags.updates());
        // Without standby replicas the lags are not asked for (a request to the brokers a second saved), so no copy
        // here answers as a standby: a warm-up copy (a task moving in) sends its readers on to the active task.
        if ((Integer) ConfigDef.parseType(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG,
                config.getOrDefault(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 0), ConfigDef.Type.INT) > 0) {
            standbyLags.watching(streams, STANDBY_LAG_LOOKS);
        }
        brokerContact.watching(streams, CONTACT_LOOKS);
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
        return () -> voucherStreams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }

    @Bean
    VoucherQueries voucherQueries(KafkaStreams voucherStreams, WholePartitions wholePartitions, StandbyLags standbyLags,
                                  BrokerContact brokerContact, VoucherStreamsProperties properties) {
        return new VoucherQueries(voucherStreams, wholePartitions, standbyLags, brokerContact,
                properties.applicationServer());
    }

    /**
     * Whether this instance has heard from the brokers within its session less a heartbeat interval and a second:
     * else it answers no read.
     */
    @Bean(destroyMethod = "close")
    BrokerContact brokerContact(VoucherStreamsProperties properties, KafkaConnection kafkaConnection) {
        return BrokerContact.of(properties.streamsConfig(kafkaConnection));
    }

    /** How far behind the standbys here are: looked at every second (a request to the brokers each time). */
    @Bean(destroyMethod = "close")
    StandbyLags standbyLags(VoucherStreamsProperties properties) {
        return new StandbyLags(properties.standbyMaxLag());
    }

    @Bean
    VoucherWatches voucherWatches(VoucherQueries voucherQueries, VoucherStreamsProperties properties,
                                  ChangeRelay changeRelay, MeterRegistry meters) {
        VoucherWatches watches = new VoucherWatches(voucherQueries, Schedulers.parallel(), WATCH_IDLE_RECHECK,
                properties.commitInterval().multipliedBy(3).plusMillis(100));
        changeRelay.target = watches;
        Gauge.builder("voucher.watches", watches, VoucherWatches::watched)
                .description("Vouchers and Idempotency-Keys that long polls on this instance wait for now")
                .register(meters);
        return watches;
    }

    /** What the ingress reads from this instance: over HTTP ({@link InternalQueryController}), or in its process. */
    @Bean
    StoreReads storeReads(VoucherQueries voucherQueries, VoucherWatches voucherWatches,
                          VoucherStreamsProperties properties) {
        return new StoreReads(voucherQueries, voucherWatches, new Ticks(SETTINGS_TICK), properties.claimWindow());
    }

    static final class ChangeRelay implements VoucherChanges {
        private volatile VoucherChanges target = VoucherChanges.NONE;

        @Override
        public void changed(String voucherId, long version) {
            target.changed(voucherId, version);
        }

        @Override
        public void refused(String voucherId) {
            target.refused(voucherId);
        }

        @Override
        public void committed() {
            target.committed();
        }

        @Override
        public void claimed(String claimKey) {
            target.claimed(claimKey);
        }
    }

    @Bean
    VoucherStreamsHealthIndicator voucherStreamsHealthIndicator(KafkaStreams voucherStreams,
                                                                BrokerContact brokerContact) {
        return new VoucherStreamsHealthIndicator(voucherStreams, brokerContact);
    }

    @Bean
    KafkaBrokerHealthIndicator kafkaBrokerHealthIndicator(KafkaConnection kafkaConnection) {
        return new KafkaBrokerHealthIndicator(kafkaConnection);
    }

    /**
     * Kafka Streams' own metrics (threads, clients, consumer lag) in Micrometer; not its stores', whose read from
     * another thread races their commits (see the binder).
     */
    @Bean
    KafkaStreamsMetricsWithoutStores voucherStreamsMetrics(KafkaStreams voucherStreams) {
        return new KafkaStreamsMetricsWithoutStores(voucherStreams, Duration.ofMinutes(1));
    }

    @Bean
    TopologyMeters topologyMeters(KafkaStreams voucherStreams) {
        return new TopologyMeters(voucherStreams);
    }
}
