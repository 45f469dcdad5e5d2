package io.qrvoucher.voucher.app;

import static io.qrvoucher.schemas.Topics.CUSTOMER_ATTEMPTS;
import static io.qrvoucher.schemas.Topics.CUSTOMER_SETTINGS;
import static io.qrvoucher.schemas.Topics.CUSTOMER_VOUCHERS;
import static io.qrvoucher.schemas.Topics.INGRESS_IDEMPOTENCY;
import static io.qrvoucher.schemas.Topics.LEDGER_COMMANDS;
import static io.qrvoucher.schemas.Topics.LEDGER_RESULTS;
import static io.qrvoucher.schemas.Topics.SETTINGS_CHANGES;
import static io.qrvoucher.schemas.Topics.VOUCHER_DEAD_LETTERS;
import static io.qrvoucher.schemas.Topics.VOUCHER_EVENTS;
import static io.qrvoucher.schemas.Topics.VOUCHER_REQUESTS;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.HostInfo;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import io.qrvoucher.support.BankRules;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.RequestSignatures;
import io.qrvoucher.voucher.domain.VoucherLifecycle;
import io.qrvoucher.voucher.domain.VoucherPolicy;
import io.qrvoucher.voucher.streams.RecordTracing;
import io.qrvoucher.voucher.streams.StalledVouchers;
import io.qrvoucher.voucher.streams.VoucherChanges;
import io.qrvoucher.voucher.streams.VoucherTopics;
import io.qrvoucher.voucher.streams.VoucherTopology.ExpirySettings;
import io.qrvoucher.voucher.streams.VoucherTopology.Settings;
import io.qrvoucher.voucher.streams.VoucherTopology.WatchdogSettings;
import io.qrvoucher.voucher.streams.VoucherTopology;
import io.qrvoucher.voucher.streams.WholePartitions;

/**
 * Configuration of the voucher-streams service, under {@code voucher.*}.
 *
 * @param applicationId   Kafka Streams application id: the consumer group and the prefix of internal topics
 * @param instanceId      this instance's stable name, for static group membership: a restarted instance
 *                        takes its tasks back at once instead of after a session timeout; leave empty
 *                        for dynamic membership
 * @param sessionTimeout  how long an instance that stopped answering keeps its tasks before the others
 *                        take them over; with static membership a restart within it moves no task
 * @param bootstrapServers the Kafka cluster, when it is not {@code spring.kafka.bootstrap-servers}; the cluster's
 *                        security settings are {@code spring.kafka.*} ({@link KafkaConnection})
 * @param stateDir        where the RocksDB stores live; keep it on a persistent volume
 * @param streamThreads   stream threads of this instance; tasks beyond one per partition stay idle
 * @param commitInterval  how often an exactly-once transaction commits: each step of a voucher waits for two
 *                        commits, so this is the floor of its latency; shorter costs more transactions
 * @param pollInterval    how long an idle stream thread waits for records before it looks whether a commit is
 *                        due: a record processed while it waits is committed this much after the interval at
 *                        most (Kafka Streams' {@code poll.ms}, 100 ms of its own, would add up to that to every
 *                        commit at light load)
 * @param replicationFactor of the changelog topics the application creates
 * @param advertisedUrl   where the other services reach this instance's HTTP server (its interactive
 *                        queries): Kafka Streams' {@code application.server}, told to every instance
 * @param standbyReplicas warm copies of each task's stores on other instances, which answer reads while
 *                        an active task is restored elsewhere; at least 1 wherever more than one instance runs
 * @param standbyMaxLag   how many records of its changelog a standby may lack and still answer reads: one that has
 *                        caught up lacks a commit interval's or so; one further behind (still catching up) answers
 *                        none, rather than a voucher as it was long ago
 * @param topics          topic names
 * @param policy          the bank's rules for new vouchers
 * @param expiry          the expiry punctuation
 * @param watchdog        the watchdog over vouchers waiting on the ledger
 * @param requestSigning  the keys of the ingress's seal on requests (the same as the ingress's)
 * @param claimWindow     how long the first claim of an Idempotency-Key (or a sign-in's confirmation of a
 *                        voucher) holds; at most the retention of the claims topic
 * @param attemptRetention how long a customer's attempts are kept for the ingress's abuse limits: at least
 *                        the longest of their windows ({@code ingress.limits.*-window})
 * @param adoptLegacySettings take a customer's settings from the legacy {@code customer-settings} topic while
 *                        none are known: only while upgrading from a release before voucher-streams merged
 *                        settings (off, a record there is dead-lettered: nothing but such a release wrote it, and
 *                        its records were never sealed, so anyone who could write it could weaken a customer's
 *                        step-up)
 * @param finalRetention  how long a voucher is kept once it is at rest (final, its money ended); then it is
 *                        forgotten: no longer read by id nor listed, its code no longer known. At least the claim
 *                        window and a day, so that no Idempotency-Key leads to a voucher forgotten. Its money stays
 *                        in the ledger, and its events as long as {@code voucher-events} (or an archive of it) keeps
 *                        them
 * @param listingGrace    how long a voucher pending its freeze or being redeemed must stay so to be listed so in its
 *                        customers' lists; the state the ledger's answer leads to is listed at once in its place. Zero
 *                        lists every state at once; else at least 100 ms
 * @param streams         any other Kafka Streams, producer or consumer setting, passed as given
 */
@ConfigurationProperties("voucher")
public record VoucherStreamsProperties(
        @DefaultValue("voucher-streams") String applicationId,
        String instanceId,
        @DefaultValue("10s") Duration sessionTimeout,
        String bootstrapServers,
        @DefaultValue("data/voucher-streams") String stateDir,
        @DefaultValue("1") int streamThreads,
        @DefaultValue("20ms") Duration commitInterval,
        @DefaultValue("5ms") Duration pollInterval,
        @DefaultValue("1") int replicationFactor,
        @DefaultValue("http://localhost:8082") URI advertisedUrl,
        @DefaultValue("0") int standbyReplicas,
        @DefaultValue("1000") long standbyMaxLag,
        @DefaultValue Topics topics,
        @DefaultValue Policy policy,
        @DefaultValue Expiry expiry,
        @DefaultValue Watchdog watchdog,
        @DefaultValue RequestSigning requestSigning,
        @DefaultValue("24h") Duration claimWindow,
        @DefaultValue("1h") Duration attemptRetention,
        @DefaultValue("false") boolean adoptLegacySettings,
        @DefaultValue("400d") Duration finalRetention,
        @DefaultValue("1s") Duration listingGrace,
        Map<String, String> streams) {

    /**
     * What neither {@code voucher.streams} nor {@code spring.kafka.properties} may set: exactly-once processing with
     * transactional stores, which {@link #streamsConfig} always sets, is what keeps each redemption to one transfer
     * through a crash and reads to committed state; and Kafka Streams' failing exception handlers, its defaults, stop
     * a task rather than commit a record processed in part (a store written, a ledger command not sent). Records that
     * cannot be read go to the dead-letter topic by the topology itself. The deserialization and production handlers'
     * names before Kafka 4.0 are still honoured.
     */
    static final Set<String> GUARANTEES = Set.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
            StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, StreamsConfig.DEFAULT_INTERACTIVE_QUERY_ISOLATION_LEVEL_CONFIG,
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, "default.deserialization.exception.handler",
            StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, "default.production.exception.handler");

    /** The stream threads' consumers' heartbeat interval, unless {@code voucher.streams} sets another. */
    static final int HEARTBEAT_INTERVAL_MS = 1_000;

    /** The shortest listing grace but none. */
    static final Duration MIN_LISTING_GRACE = Duration.ofMillis(100);

    /** How much longer than the claim window a voucher at rest is kept at least. */
    static final Duration FINAL_RETENTION_BEYOND_CLAIMS = Duration.ofDays(1);

    public VoucherStreamsProperties {
        streams = streams == null ? Map.of() : Map.copyOf(streams);
        // The listing runs every grace, on every task: a shorter one would have each stream thread punctuate, and so
        // process fewer records between its rounds, all the time.
        if (!listingGrace.isZero() && listingGrace.compareTo(MIN_LISTING_GRACE) < 0) {
            throw new IllegalArgumentException("voucher.listing-grace=" + listingGrace + " is neither 0 (list every "
                    + "state at once) nor at least " + MIN_LISTING_GRACE.toMillis() + " ms");
        }
        // A day more than the claim window: a voucher refused at once comes to rest when its request was made, a
        // little before its key was claimed, and on the ingress's clock, not this one's.
        if (finalRetention.compareTo(claimWindow.plus(FINAL_RETENTION_BEYOND_CLAIMS)) < 0) {
            throw new IllegalArgumentException("voucher.final-retention=" + finalRetention + " is shorter than "
                    + "voucher.claim-window=" + claimWindow + " and a day: a retry with an Idempotency-Key could lead "
                    + "to a voucher forgotten, and make it anew");
        }
        // Forgotten only once it can no longer be valid: a generation replayed after that is refused as past its
        // validity, and cannot make the voucher anew and freeze its money again.
        Duration longestValidity = VoucherPolicy.longestValidity(policy.maxValidityDays());
        if (finalRetention.compareTo(longestValidity) < 0) {
            throw new IllegalArgumentException("voucher.final-retention=" + finalRetention + " is shorter than the "
                    + "longest validity of a voucher (voucher.policy.max-validity-days=" + policy.maxValidityDays()
                    + ", " + longestValidity + "): a generation replayed after its voucher is forgotten could make it "
                    + "anew, still valid, and freeze its money again");
        }
    }

    /**
     * The voucher topology with these topics, this policy under the bank's rules, these timers and keys,
     * telling {@code changes}, {@code stalled} and {@code whole}, its work traced by {@code tracing}.
     */
    public Topology topology(BankRules bank, VoucherChanges changes, StalledVouchers stalled, RecordTracing tracing,
                             WholePartitions whole) {
        return VoucherTopology.build(topics.toTopics(), new VoucherLifecycle(policy.toPolicy(bank)), new Settings(
                new ExpirySettings(expiry.punctuationInterval(), expiry.maxPerPunctuation()),
                new WatchdogSettings(watchdog.stalledAfter(), watchdog.checkInterval(), stalled), claimWindow, changes,
                new RequestSignatures(null, requestSigning.keys()), attemptRetention, tracing, whole,
                adoptLegacySettings, finalRetention, listingGrace));
    }

    /**
     * This instance as Kafka Streams names it to every instance: its {@code application.server}, the advertised URL's
     * host and port, parsed as Kafka Streams parses it (an IPv6 address loses its brackets).
     */
    public HostInfo applicationServer() {
        return HostInfo.buildFromEndpoint(applicationServerEndpoint());
    }

    private String applicationServerEndpoint() {
        return advertisedUrl.getHost() + ":" + advertisedUrl.getPort();
    }

    /**
     * The Kafka Streams configuration these properties make on this cluster, whose security settings all of
     * the application's clients (consumers, producers, admin) take: exactly-once with transactional stores, always.
     */
    public Properties streamsConfig(KafkaConnection cluster) {
        Set<String> overridden = new TreeSet<>(streams.keySet());
        overridden.addAll(cluster.config().keySet());
        overridden.retainAll(GUARANTEES);
        if (!overridden.isEmpty()) {
            throw new IllegalArgumentException("Neither voucher.streams nor spring.kafka.properties may set " + overridden
                    + ": voucher-streams always runs exactly-once with transactional stores and stops at a record it "
                    + "cannot process, which keeps each redemption to one transfer");
        }
        Properties config = new Properties();
        config.putAll(cluster.config());
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // A task's store writes stay in a buffer until its transaction commits (KIP-892): a crash does not
        // wipe the stores, and interactive queries can read committed state only.
        config.put(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, true);
        config.put(StreamsConfig.DEFAULT_INTERACTIVE_QUERY_ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.name());
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis());
        config.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, replicationFactor);
        config.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServerEndpoint());
        config.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        config.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        config.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), (int) sessionTimeout.toMillis());
        // An instance stops answering reads once it has heard nothing from the brokers for the session less a heartbeat
        // interval (BrokerContact): a second instead of the default three leaves it longer, and a rebalance is noticed
        // sooner, so that the heartbeats a rejoin pauses rarely run past it.
        config.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), HEARTBEAT_INTERVAL_MS);
        if (instanceId != null && !instanceId.isBlank()) {
            config.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
        }
        config.put(StreamsConfig.POLL_MS_CONFIG, pollInterval.toMillis());
        // No global store here; Kafka 5.0's default, which Kafka Streams warns about at every start until it is set.
        config.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Nothing reads a store's metrics from another thread: a read of its uncommitted-bytes gauge races the store's
        // commits and can bring the JVM down (KafkaStreamsMetricsWithoutStores). So no JMX reporter, and no push of
        // the clients' metrics to a broker that asks for them (KIP-714), whose reporter takes every thread's metrics,
        // the stores' too. Kafka Streams' other metrics reach Prometheus through Micrometer.
        config.put(StreamsConfig.METRIC_REPORTER_CLASSES_CONFIG, "");
        config.put(CommonClientConfigs.ENABLE_METRICS_PUSH_CONFIG, false);
        config.putAll(streams);
        refuseUncommittedReads(config);
        return config;
    }

    /**
     * Kafka Streams holds its consumers to committed reads under exactly-once only for the plain and {@code consumer.}
     * forms of {@code isolation.level}: a {@code restore.consumer.} or {@code main.consumer.} one, from
     * {@code voucher.streams} or {@code spring.kafka.properties}, would be honoured, and a restored store could hold
     * writes of transactions that were aborted.
     */
    private static void refuseUncommittedReads(Properties config) {
        config.forEach((key, value) -> {
            String name = key.toString();
            if (name.endsWith(ConsumerConfig.ISOLATION_LEVEL_CONFIG)
                    && !IsolationLevel.READ_COMMITTED.toString().equalsIgnoreCase(String.valueOf(value))) {
                throw new IllegalArgumentException(name + "=" + value + ": voucher-streams reads committed records "
                        + "only, which keeps each redemption to one transfer");
            }
        });
    }

    public record Topics(
            @DefaultValue(VOUCHER_REQUESTS) String requests,
            @DefaultValue(LEDGER_COMMANDS) String ledgerCommands,
            @DefaultValue(LEDGER_RESULTS) String ledgerResults,
            @DefaultValue(VOUCHER_EVENTS) String events,
            @DefaultValue(CUSTOMER_VOUCHERS) String customerVouchers,
            @DefaultValue(SETTINGS_CHANGES) String settingsChanges,
            @DefaultValue(CUSTOMER_SETTINGS) String legacySettings,
            @DefaultValue(INGRESS_IDEMPOTENCY) String idempotencyClaims,
            @DefaultValue(CUSTOMER_ATTEMPTS) String customerAttempts,
            @DefaultValue(VOUCHER_DEAD_LETTERS) String deadLetters) {

        /**
         * The topics that must have the same partition count, as configured: a voucher's requests and ledger
         * results, a customer's settings changes and legacy settings (the registry's groups, {@link io.qrvoucher.schemas.Topics#coPartitioned}).
         */
        public List<List<String>> coPartitioned() {
            return List.of(List.of(requests, ledgerResults), List.of(legacySettings, settingsChanges));
        }

        public VoucherTopics toTopics() {
            return new VoucherTopics(requests, ledgerCommands, ledgerResults, events, customerVouchers, settingsChanges,
                    legacySettings, idempotencyClaims, customerAttempts, deadLetters);
        }
    }

    /**
     * The validity of new vouchers; their caps and the bank's time zone are the bank's rules
     * ({@link BankRules}, {@code bank.*}), shared with the other services.
     *
     * @param defaultValidityDays natural days a voucher is valid, the day of generation included
     * @param maxValidityDays     the most a caller may ask for
     */
    public record Policy(
            @DefaultValue("1") int defaultValidityDays,
            @DefaultValue("1") int maxValidityDays) {

        public VoucherPolicy toPolicy(BankRules bank) {
            return new VoucherPolicy(bank.zone(), defaultValidityDays, maxValidityDays, bank.defaultVoucherCap(),
                    bank.voucherCaps());
        }
    }

    /**
     * @param punctuationInterval how often due vouchers are looked for: the most an expiry is late
     * @param maxPerPunctuation   bound on the vouchers one punctuation expires: at least one, or none ever would
     */
    public record Expiry(
            @DefaultValue("1s") Duration punctuationInterval,
            @DefaultValue("10000") int maxPerPunctuation) {

        public Expiry {
            if (maxPerPunctuation < 1) {
                throw new IllegalArgumentException("voucher.expiry.max-per-punctuation=" + maxPerPunctuation
                        + " is less than 1: no voucher would ever expire, nor be reported stalled or listed late");
            }
        }
    }

    /**
     * @param stalledAfter  how long a voucher may wait on the ledger (a freeze, transfer or release without
     *                      a result) before it is reported stalled: well above the ledger's usual answer time
     *                      and its transfer give-up bound
     * @param checkInterval how often the watchdog looks for stalled vouchers
     */
    public record Watchdog(
            @DefaultValue("2m") Duration stalledAfter,
            @DefaultValue("10s") Duration checkInterval) {
    }

    /**
     * @param keys base64 keys (at least 256 bits) of the ingress's seal on requests, by key id: a request is
     *             applied only if sealed with one of them. Required; list the old and the new key while one
     *             is rotated
     */
    public record RequestSigning(Map<String, String> keys) {

        public RequestSigning {
            keys = keys == null ? Map.of() : Map.copyOf(keys);
        }
    }
}
