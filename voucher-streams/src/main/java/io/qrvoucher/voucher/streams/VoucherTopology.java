package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.util.Optional;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.RequestSignatures;
import io.qrvoucher.voucher.domain.VoucherInput;
import io.qrvoucher.voucher.domain.VoucherLifecycle;

/**
 * The voucher topology, in one place:
 *
 * <pre>
 *  voucher-requests ─▶ decode-voucher-requests ─┐                           ┌─▶ ledger-commands
 *                              │                ├─▶ apply-voucher-inputs ──┼─▶ voucher-events
 *  ledger-results ──▶ decode-ledger-results ───┘   (+ expiry, watchdog)   └─▶ customer-vouchers
 *                              │                          ▲                        │
 *                              └─▶ voucher-dead-letters   │                        ▼
 *                          voucher-store, voucher-indexes, request-refusals   index-customer-vouchers
 *                                                                            ▲
 *                                                            customer-vouchers-store (read-only)
 * </pre>
 *
 * {@code voucher-store} and {@code request-refusals} are RocksDB with changelogs; {@code voucher-indexes}
 * (expiry times, stall times, known ids) are derived from the voucher store, in memory, and built whenever a
 * task is made active. Both inputs are keyed by voucher id and co-partitioned, and both decode into one sealed
 * {@link VoucherInput} for one processor: every input of a voucher is handled by the same task, in order.
 *
 * <p>Settings have one writer per customer: {@code apply-settings-changes} merges the changes on
 * {@code settings-changes} (keyed by customer) into {@code customer-settings-store}, one at a time, so that
 * concurrent changes never lose a field; {@code adopt-legacy-settings} takes a customer's settings from the
 * compacted {@code customer-settings} topic the ingress used to write, while the store has none, and only while
 * upgrading from such a release ({@link Settings#adoptLegacySettings}): that topic was never sealed.
 *
 * <p>{@code keep-first-claims} keeps the first claim of each Idempotency-Key and sign-in (from
 * {@code ingress-idempotency}) for the claim window, so that every ingress instance reads the same one.
 *
 * <p>{@code keep-customer-attempts} keeps each customer's recent attempts (from {@code customer-attempts}:
 * failed redemptions, picture uploads) in {@code customer-attempts-store}, which the abuse limits of every
 * ingress instance read.
 *
 * <p>The second sub-topology keeps the per-customer index that lists are read from: the entries the
 * apply processor writes to {@code customer-vouchers}, partitioned by customer, are that topic's
 * {@code customer-vouchers-store}, restored from the (compacted) topic itself. Both sub-topologies'
 * stores are served to the ingress by interactive queries; the processors of the stores read by key or listed say
 * while their partition is whole here ({@link WholePartitions}), so that a miss there is an answer and an active
 * task still restoring answers nothing.
 */
public final class VoucherTopology {

    public static final String VOUCHER_STORE = "voucher-store";
    public static final String VOUCHER_INDEXES = "voucher-indexes";
    public static final String REQUEST_REFUSALS = "request-refusals";
    public static final String CUSTOMER_VOUCHERS_STORE = "customer-vouchers-store";
    public static final String CUSTOMER_SETTINGS_STORE = "customer-settings-store";
    public static final String IDEMPOTENCY_CLAIMS = "idempotency-claims";
    public static final String CUSTOMER_ATTEMPTS_STORE = "customer-attempts-store";

    static final String REQUESTS_SOURCE = "voucher-requests-source";
    static final String RESULTS_SOURCE = "ledger-results-source";
    static final String DECODE_REQUESTS = "decode-voucher-requests";
    static final String DECODE_RESULTS = "decode-ledger-results";
    static final String APPLY_INPUTS = "apply-voucher-inputs";
    static final String LEDGER_COMMANDS_SINK = "ledger-commands-sink";
    static final String EVENTS_SINK = "voucher-events-sink";
    static final String CUSTOMER_VOUCHERS_SINK = "customer-vouchers-sink";
    static final String CUSTOMER_VOUCHERS_SOURCE = "customer-vouchers-source";
    static final String INDEX_CUSTOMER_VOUCHERS = "index-customer-vouchers";
    static final String SETTINGS_CHANGES_SOURCE = "settings-changes-source";
    static final String DECODE_SETTINGS_CHANGES = "decode-settings-changes";
    static final String APPLY_SETTINGS_CHANGES = "apply-settings-changes";
    static final String LEGACY_SETTINGS_SOURCE = "legacy-settings-source";
    static final String DECODE_LEGACY_SETTINGS = "decode-legacy-settings";
    static final String ADOPT_LEGACY_SETTINGS = "adopt-legacy-settings";
    static final String CLAIMS_SOURCE = "idempotency-claims-source";
    static final String DECODE_CLAIMS = "decode-idempotency-claims";
    static final String KEEP_FIRST_CLAIMS = "keep-first-claims";
    static final String ATTEMPTS_SOURCE = "customer-attempts-source";
    static final String DECODE_ATTEMPTS = "decode-customer-attempts";
    static final String KEEP_ATTEMPTS = "keep-customer-attempts";
    /** The claim window of tests and benchmarks that do not set one. */
    static final Duration DEFAULT_CLAIM_WINDOW = Duration.ofHours(24);
    /**
     * How far apart the services' clocks are taken to be at most (NTP keeps them far closer): a time an ingress stamped
     * is judged here, or against another ingress's stamp, no more precisely than this. Fixed, as the claims' and the
     * attempts' rules depend on it; {@code internal-api.max-clock-skew}, a setting, defaults to the same minute.
     */
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(1);
    /** How long a voucher at rest is kept, in tests and benchmarks that do not set it. */
    static final Duration DEFAULT_FINAL_RETENTION = Duration.ofDays(400);
    /** How long a state waiting on the ledger must last to be listed, in tests and benchmarks that do not set it. */
    static final Duration DEFAULT_LISTING_GRACE = Duration.ofSeconds(1);
    /** How long customers' attempts are kept, in tests and benchmarks that do not set it. */
    static final Duration DEFAULT_ATTEMPT_RETENTION = Duration.ofHours(1);
    static final String DEAD_LETTER_SINK = "dead-letter-sink";

    private VoucherTopology() {
    }

    /**
     * How often the due vouchers are looked for, and how many one punctuation may expire (or report stalled); a task
     * that starts reads as many of its vouchers to index each time the stream thread comes round.
     */
    public record ExpirySettings(Duration punctuationInterval, int maxPerPunctuation) {
    }

    /**
     * @param stalledAfter  how long a voucher may wait on the ledger before it is reported stalled
     * @param checkInterval how often the watchdog looks for stalled vouchers
     * @param listener      told of the stalled vouchers of this instance's tasks
     */
    public record WatchdogSettings(Duration stalledAfter, Duration checkInterval, StalledVouchers listener) {
    }

    /** The watchdog of tests and benchmarks that do not set one. */
    static final WatchdogSettings DEFAULT_WATCHDOG = new WatchdogSettings(Duration.ofMinutes(2), Duration.ofSeconds(10),
            StalledVouchers.NONE);

    /**
     * How the topology runs, beyond its topics and rules.
     *
     * @param expiry      the expiry punctuation
     * @param watchdog    the watchdog over vouchers waiting on the ledger
     * @param claimWindow how long the first claim of an Idempotency-Key or a sign-in holds, and a refused
     *                    request's refusal is kept at least (see {@link #refusalRetention})
     * @param changes     told of every voucher a task changes, so that waiting readers look again soon
     * @param signatures  the keys of the ingress's seal: only sealed requests are applied
     * @param attemptRetention how long a customer's attempt is kept for the abuse limits: at least their
     *                    longest window
     * @param tracing     how the handling of a request or result joins the request's trace
     * @param whole       told which partitions of the stores read by key this instance holds whole
     * @param adoptLegacySettings take a customer's settings from the legacy topic while none are known
     * @param finalRetention how long a voucher is kept once it is at rest (final, its money ended): then it is
     *                    forgotten, from its task's store and from the customers' lists
     * @param listingGrace how long a voucher pending or being redeemed must stay so to be listed so in the customers'
     *                    lists; zero lists every state at once
     */
    public record Settings(ExpirySettings expiry, WatchdogSettings watchdog, Duration claimWindow,
                           VoucherChanges changes, RequestSignatures signatures, Duration attemptRetention,
                           RecordTracing tracing, WholePartitions whole, boolean adoptLegacySettings,
                           Duration finalRetention, Duration listingGrace) {

        /** The settings of tests and benchmarks: these timers and keys, and the defaults for the rest. */
        public static Settings of(ExpirySettings expiry, RequestSignatures signatures) {
            return new Settings(expiry, DEFAULT_WATCHDOG, DEFAULT_CLAIM_WINDOW, VoucherChanges.NONE, signatures,
                    DEFAULT_ATTEMPT_RETENTION, RecordTracing.NONE, new WholePartitions(), false,
                    DEFAULT_FINAL_RETENTION, DEFAULT_LISTING_GRACE);
        }
    }

    public static Topology build(VoucherTopics topics, VoucherLifecycle lifecycle, Settings settings) {
        ExpirySettings expiry = settings.expiry();
        WatchdogSettings watchdog = settings.watchdog();
        VoucherChanges changes = settings.changes();
        WholePartitions whole = settings.whole();
        DecodingProcessor.Admission sealedByTheIngress = (record, key) ->
                settings.signatures().problem(record.headers(), key, record.value());
        AvroSerde<VoucherRequest> requests = AvroSerde.of(VoucherRequest.class);
        AvroSerde<LedgerResult> results = AvroSerde.of(LedgerResult.class);
        Topology topology = new Topology();

        topology.addSource(REQUESTS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.requests());
        topology.addProcessor(DECODE_REQUESTS,
                () -> new DecodingProcessor<>(sealedByTheIngress, requests, VoucherRequest::getVoucherId,
                        AvroMapping::toDomain, APPLY_INPUTS, DEAD_LETTER_SINK),
                REQUESTS_SOURCE);
        topology.addSource(RESULTS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.ledgerResults());
        topology.addProcessor(DECODE_RESULTS,
                () -> new DecodingProcessor<>(results, LedgerResult::getVoucherId, AvroMapping::toDomain,
                        APPLY_INPUTS, DEAD_LETTER_SINK),
                RESULTS_SOURCE);
        topology.addProcessor(APPLY_INPUTS, whole.whileOpen(() -> new VoucherProcessor(lifecycle, expiry, watchdog,
                        refusalRetention(settings.claimWindow(), lifecycle), settings.finalRetention(),
                        settings.listingGrace(), changes, settings.tracing()),
                        VOUCHER_STORE, REQUEST_REFUSALS),
                DECODE_REQUESTS, DECODE_RESULTS);
        // Both stores say when they committed, so that waiting readers look then (VoucherChanges#committed).
        topology.addStateStore(
                Stores.keyValueStoreBuilder(CommitAnnouncingStore.announcing(
                        Stores.persistentKeyValueStore(VOUCHER_STORE), changes), Serdes.String(), Serdes.ByteArray()),
                APPLY_INPUTS);
        topology.addStateStore(VoucherIndexes.builder(VOUCHER_INDEXES, watchdog.stalledAfter(),
                settings.listingGrace()), APPLY_INPUTS);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(CommitAnnouncingStore.announcing(
                        Stores.persistentKeyValueStore(REQUEST_REFUSALS), changes), Serdes.String(), Serdes.ByteArray()),
                APPLY_INPUTS);

        topology.addSink(LEDGER_COMMANDS_SINK, topics.ledgerCommands(), new StringSerializer(),
                AvroSerde.of(LedgerCommand.class).serializer(), APPLY_INPUTS);
        topology.addSink(EVENTS_SINK, topics.events(), new StringSerializer(),
                AvroSerde.of(VoucherEvent.class).serializer(), APPLY_INPUTS);
        // The voucher's state arrives encoded: the bytes voucher-store holds (see Vouchers).
        topology.addSink(CUSTOMER_VOUCHERS_SINK, topics.customerVouchers(), new StringSerializer(),
                new ByteArraySerializer(), CustomerVoucherIndex.partitioner(), APPLY_INPUTS);

        // Settings: one writer per customer, merging changes in order; the legacy topic is adopted from.
        topology.addSource(SETTINGS_CHANGES_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                topics.settingsChanges());
        topology.addProcessor(DECODE_SETTINGS_CHANGES,
                () -> new DecodingProcessor<>(sealedByTheIngress, AvroSerde.of(SettingsChange.class),
                        SettingsChange::getCustomerId, change -> change, APPLY_SETTINGS_CHANGES, DEAD_LETTER_SINK),
                SETTINGS_CHANGES_SOURCE);
        topology.addProcessor(APPLY_SETTINGS_CHANGES,
                whole.whileOpen(CustomerSettingsProcessor::new, CUSTOMER_SETTINGS_STORE), DECODE_SETTINGS_CHANGES);
        topology.addSource(LEGACY_SETTINGS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                topics.legacySettings());
        DecodingProcessor.Admission adoptedOnlyWhileUpgrading = settings.adoptLegacySettings() ? DecodingProcessor.Admission.ANY
                : (record, key) -> Optional.of("Settings are adopted from " + topics.legacySettings()
                        + " only while upgrading from a release that wrote it (voucher.adopt-legacy-settings)");
        topology.addProcessor(DECODE_LEGACY_SETTINGS,
                () -> new DecodingProcessor<>(adoptedOnlyWhileUpgrading, AvroSerde.of(CustomerSettings.class),
                        CustomerSettings::getCustomerId, legacy -> legacy, ADOPT_LEGACY_SETTINGS, DEAD_LETTER_SINK),
                LEGACY_SETTINGS_SOURCE);
        topology.addProcessor(ADOPT_LEGACY_SETTINGS, LegacySettingsAdopter::new, DECODE_LEGACY_SETTINGS);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CUSTOMER_SETTINGS_STORE), Serdes.String(),
                        Serdes.ByteArray()),
                APPLY_SETTINGS_CHANGES, ADOPT_LEGACY_SETTINGS);

        // Idempotency-Keys and sign-ins: the first claim of a key holds for the claim window.
        topology.addSource(CLAIMS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                topics.idempotencyClaims());
        topology.addProcessor(DECODE_CLAIMS,
                () -> new DecodingProcessor<>(sealedByTheIngress, IdempotencyClaims.CLAIMS, IdempotencyClaims::keyOf,
                        claim -> claim, KEEP_FIRST_CLAIMS, DEAD_LETTER_SINK),
                CLAIMS_SOURCE);
        topology.addProcessor(KEEP_FIRST_CLAIMS, whole.whileOpen(
                () -> new IdempotencyClaims(settings.claimWindow(), expiry.maxPerPunctuation(), changes),
                IDEMPOTENCY_CLAIMS), DECODE_CLAIMS);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(IDEMPOTENCY_CLAIMS),
                Serdes.String(), Serdes.ByteArray()), KEEP_FIRST_CLAIMS);

        // Abuse limits: each customer's recent attempts, counted once for every ingress instance.
        topology.addSource(ATTEMPTS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                topics.customerAttempts());
        topology.addProcessor(DECODE_ATTEMPTS,
                () -> new DecodingProcessor<>(sealedByTheIngress, AvroSerde.of(CustomerAttempt.class),
                        CustomerAttempt::getCustomerId, attempt -> attempt, KEEP_ATTEMPTS, DEAD_LETTER_SINK),
                ATTEMPTS_SOURCE);
        topology.addProcessor(KEEP_ATTEMPTS, CustomerAttempts::new, DECODE_ATTEMPTS);
        // Duplicates retained: two attempts in the same millisecond are two attempts.
        topology.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(CUSTOMER_ATTEMPTS_STORE,
                        settings.attemptRetention(), Duration.ofMillis(1), true), Serdes.String(), Serdes.ByteArray()),
                KEEP_ATTEMPTS);

        topology.addSink(DEAD_LETTER_SINK, topics.deadLetters(), new ByteArraySerializer(), new ByteArraySerializer(),
                DECODE_REQUESTS, DECODE_RESULTS, DECODE_SETTINGS_CHANGES, DECODE_LEGACY_SETTINGS, DECODE_CLAIMS,
                DECODE_ATTEMPTS);

        topology.addReadOnlyStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CUSTOMER_VOUCHERS_STORE), Serdes.String(),
                        Serdes.ByteArray()).withLoggingDisabled(),
                CUSTOMER_VOUCHERS_SOURCE, new StringDeserializer(), new ByteArrayDeserializer(),
                topics.customerVouchers(), INDEX_CUSTOMER_VOUCHERS,
                whole.whileOpen(CustomerVoucherIndexer::new, CUSTOMER_VOUCHERS_STORE));
        return topology;
    }

    /**
     * How long a key's first claim holds, judged by any clock of the deployment: its window and the clocks' skew. A
     * retry sent within the window, stamped by an ingress whose clock runs ahead or judged by an instance whose clock
     * does, still finds the first claim; with the window alone, one in its last minute could be taken for the key's
     * next first claim and make a second voucher.
     */
    public static Duration claimsHeld(Duration claimWindow) {
        return claimWindow.plus(CLOCK_SKEW);
    }

    /**
     * How long a refused request's refusal is kept for its requester to read back: at least as long as a claim holds
     * (a retry with its key sends the refused request again), and while its voucher may still be open, since a
     * refusal forgotten before then reads as a request not yet seen ({@code PENDING}); once the voucher is final, its
     * status answers.
     */
    static Duration refusalRetention(Duration claimWindow, VoucherLifecycle lifecycle) {
        Duration open = lifecycle.longestValidity();
        Duration claims = claimsHeld(claimWindow);
        return open.compareTo(claims) > 0 ? open : claims;
    }
}
