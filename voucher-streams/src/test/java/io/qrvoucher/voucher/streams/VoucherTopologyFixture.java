package io.qrvoucher.voucher.streams;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

import io.qrvoucher.avro.CancelVoucher;
import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.voucher.domain.VoucherLifecycle;
import io.qrvoucher.voucher.domain.VoucherPolicy;
import io.qrvoucher.support.RequestSignatures;
import io.qrvoucher.voucher.streams.VoucherTopology.ExpirySettings;
import io.qrvoucher.voucher.streams.VoucherTopology.Settings;
import io.qrvoucher.voucher.streams.VoucherTopology.WatchdogSettings;

/**
 * The voucher topology in a {@link TopologyTestDriver}, with helpers that speak the lifecycle:
 * customers' requests and ledger answers in, commands, events and state out. Wall-clock time
 * starts at {@link #START} and moves only when a test advances it.
 */
final class VoucherTopologyFixture implements AutoCloseable {

    static final ZoneId BANK_ZONE = ZoneId.of("Asia/Shanghai");
    /** 10:00 in Shanghai: the generation day ends 14 hours later. */
    static final Instant START = Instant.parse("2026-11-26T02:00:00Z");
    static final Instant END_OF_START_DAY = Instant.parse("2026-11-26T16:00:00Z");
    static final Duration PUNCTUATION_INTERVAL = Duration.ofSeconds(1);
    static final Duration STALLED_AFTER = Duration.ofMinutes(2);
    static final String SIGNING_KEY = java.util.Base64.getEncoder().encodeToString("request-signing-key-of-the-tests".getBytes(StandardCharsets.US_ASCII));
    /** The ingress's seal, as the fixture's requests carry it, and voucher-streams' view of its keys. */
    static final RequestSignatures INGRESS = new RequestSignatures("k1", Map.of("k1", SIGNING_KEY));
    static final RequestSignatures STREAMS = new RequestSignatures(null, Map.of("k1", SIGNING_KEY));

    private static final AvroSerde<VoucherRequest> REQUESTS = AvroSerde.of(VoucherRequest.class);
    private static final AvroSerde<LedgerResult> RESULTS = AvroSerde.of(LedgerResult.class);
    private static final AvroSerde<SettingsChange> SETTINGS_CHANGES = AvroSerde.of(SettingsChange.class);
    private static final AvroSerde<CustomerAttempt> ATTEMPTS = AvroSerde.of(CustomerAttempt.class);

    private final VoucherTopics topics = VoucherTopics.defaults();
    private final WholePartitions wholePartitions = new WholePartitions();
    private final Path stateDir;
    private final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> requestTopic;
    private final TestInputTopic<byte[], byte[]> resultTopic;
    private final TestInputTopic<byte[], byte[]> settingsChangeTopic;
    private final TestInputTopic<String, CustomerSettings> legacySettingsTopic;
    private final TestInputTopic<byte[], byte[]> claimTopic;
    private final TestInputTopic<byte[], byte[]> attemptTopic;
    private final TestOutputTopic<String, LedgerCommand> commandTopic;
    private final TestOutputTopic<String, VoucherEvent> eventTopic;
    private final TestOutputTopic<String, VoucherState> stateTopic;
    private final TestOutputTopic<byte[], byte[]> deadLetterTopic;
    private final List<VoucherRequest> sentRequests = new ArrayList<>();
    private final Map<String, io.qrvoucher.voucher.domain.Voucher> stalledVouchers = new LinkedHashMap<>();
    private Instant now = START;

    VoucherTopologyFixture() {
        this(10_000);
    }

    VoucherTopologyFixture(int maxExpiriesPerPunctuation) {
        this(maxExpiriesPerPunctuation, RecordTracing.NONE, VoucherChanges.NONE, false, VoucherTopology.DEFAULT_LISTING_GRACE);
    }

    /** A topology whose work is traced by {@code tracing}. */
    VoucherTopologyFixture(RecordTracing tracing) {
        this(10_000, tracing, VoucherChanges.NONE, false, VoucherTopology.DEFAULT_LISTING_GRACE);
    }

    /** A topology that tells {@code changes} what its task changes and commits. */
    VoucherTopologyFixture(VoucherChanges changes) {
        this(10_000, RecordTracing.NONE, changes, false, VoucherTopology.DEFAULT_LISTING_GRACE);
    }

    /** A topology upgrading from a release that wrote settings whole to the legacy topic, which it adopts. */
    static VoucherTopologyFixture adoptingLegacySettings() {
        return new VoucherTopologyFixture(10_000, RecordTracing.NONE, VoucherChanges.NONE, true,
                VoucherTopology.DEFAULT_LISTING_GRACE);
    }

    /** A topology that lists every state of a voucher at once (no listing grace). */
    static VoucherTopologyFixture listingEveryState() {
        return new VoucherTopologyFixture(10_000, RecordTracing.NONE, VoucherChanges.NONE, false, Duration.ZERO);
    }

    private VoucherTopologyFixture(int maxExpiriesPerPunctuation, RecordTracing tracing, VoucherChanges changes,
                                   boolean adoptLegacySettings, Duration listingGrace) {
        try {
            // Not in the OS's temporary directory, which Kafka Streams warns about (it may be cleared under it).
            stateDir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "state")), "voucher-topology-test");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "voucher-topology-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, true);
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        config.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        VoucherLifecycle lifecycle = new VoucherLifecycle(VoucherPolicy.standard(BANK_ZONE));
        driver = new TopologyTestDriver(
                VoucherTopology.build(topics, lifecycle, new Settings(
                        new ExpirySettings(PUNCTUATION_INTERVAL, maxExpiriesPerPunctuation),
                        new WatchdogSettings(STALLED_AFTER, PUNCTUATION_INTERVAL, new StalledVouchers() {
                            @Override
                            public void stalled(io.qrvoucher.voucher.domain.Voucher voucher) {
                                stalledVouchers.put(voucher.id(), voucher);
                            }

                            @Override
                            public void cleared(String voucherId) {
                                stalledVouchers.remove(voucherId);
                            }
                        }),
                        VoucherTopology.DEFAULT_CLAIM_WINDOW, changes, STREAMS,
                        VoucherTopology.DEFAULT_ATTEMPT_RETENTION, tracing, wholePartitions, adoptLegacySettings,
                        VoucherTopology.DEFAULT_FINAL_RETENTION, listingGrace)),
                config, START);
        ByteArraySerializer bytes = new ByteArraySerializer();
        requestTopic = driver.createInputTopic(topics.requests(), bytes, bytes, START, Duration.ZERO);
        resultTopic = driver.createInputTopic(topics.ledgerResults(), bytes, bytes, START, Duration.ZERO);
        settingsChangeTopic = driver.createInputTopic(topics.settingsChanges(), bytes, bytes);
        legacySettingsTopic = driver.createInputTopic(topics.legacySettings(), new StringSerializer(),
                AvroSerde.of(CustomerSettings.class).serializer());
        claimTopic = driver.createInputTopic(topics.idempotencyClaims(), bytes, bytes);
        attemptTopic = driver.createInputTopic(topics.customerAttempts(), bytes, bytes);
        StringDeserializer keys = new StringDeserializer();
        commandTopic = driver.createOutputTopic(topics.ledgerCommands(), keys, AvroSerde.of(LedgerCommand.class).deserializer());
        eventTopic = driver.createOutputTopic(topics.events(), keys, AvroSerde.of(VoucherEvent.class).deserializer());
        stateTopic = driver.createOutputTopic(topics.customerVouchers(), keys, AvroSerde.of(VoucherState.class).deserializer());
        ByteArrayDeserializer raw = new ByteArrayDeserializer();
        deadLetterTopic = driver.createOutputTopic(topics.deadLetters(), raw, raw);
    }

    static String codeOf(String voucherId) {
        return "code-of-" + voucherId;
    }

    static String hashOf(String code) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(code.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- customers' requests ----

    String generate(String voucherId, String payer, long amountMinor) {
        return generate(voucherId, payer, amountMinor, "CNY", null);
    }

    String generate(String voucherId, String payer, long amountMinor, String currency, Instant expiresAt) {
        String requestId = UUID.randomUUID().toString();
        send(new VoucherRequest(requestId, voucherId, payer, now,
                new GenerateVoucher("acc-" + payer, amountMinor, currency, expiresAt, hashOf(codeOf(voucherId)))));
        return requestId;
    }

    /** A voucher generated and frozen by the ledger: UNUSED. */
    void issue(String voucherId, String payer, long amountMinor) {
        generate(voucherId, payer, amountMinor);
        ledgerAnswers(voucherId, "/freeze", LedgerOutcome.FROZEN, null);
    }

    String redeem(String voucherId, String payee, Long amountMinor) {
        return redeemWithCode(voucherId, payee, codeOf(voucherId), amountMinor);
    }

    String redeemWithCode(String voucherId, String payee, String code, Long amountMinor) {
        String requestId = UUID.randomUUID().toString();
        redeemAs(requestId, voucherId, payee, code, amountMinor);
        return requestId;
    }

    /** A redemption under the request id given (where a test needs the ids' order). */
    void redeemAs(String requestId, String voucherId, String payee, String code, Long amountMinor) {
        send(new VoucherRequest(requestId, voucherId, payee, now,
                new RedeemVoucher(hashOf(code), amountMinor, new OwnAccount("acc-" + payee))));
    }

    String redeemToOtherBank(String voucherId, String payee) {
        String requestId = UUID.randomUUID().toString();
        send(new VoucherRequest(requestId, voucherId, payee, now,
                new RedeemVoucher(hashOf(codeOf(voucherId)), null, new ExternalAccount("ICBC", "Dan", "6222 0000"))));
        return requestId;
    }

    String cancel(String voucherId, String customer) {
        String requestId = UUID.randomUUID().toString();
        cancelAs(requestId, voucherId, customer);
        return requestId;
    }

    /** A cancel under the request id given: a retry of an earlier one sent with its Idempotency-Key. */
    void cancelAs(String requestId, String voucherId, String customer) {
        send(new VoucherRequest(requestId, voucherId, customer, now, new CancelVoucher()));
    }

    void send(VoucherRequest request) {
        send(request, new org.apache.kafka.common.header.internals.RecordHeaders());
    }

    /** Sends a request sealed as the ingress seals it. */
    void send(VoucherRequest request, org.apache.kafka.common.header.Headers headers) {
        sentRequests.add(request);
        byte[] value = REQUESTS.encode(request);
        INGRESS.sign(headers, request.getVoucherId(), value);
        requestTopic.pipeInput(new TestRecord<>(request.getVoucherId().getBytes(StandardCharsets.UTF_8), value,
                headers, now));
    }

    /** Sends a request as someone who can write the topic but is not the ingress: without a seal. */
    void sendUnsealed(VoucherRequest request) {
        sendAsIs(request, new org.apache.kafka.common.header.internals.RecordHeaders());
    }

    /** Sends a request with the headers given, sealed or not as they are. */
    void sendAsIs(VoucherRequest request, org.apache.kafka.common.header.Headers headers) {
        requestTopic.pipeInput(new TestRecord<>(request.getVoucherId().getBytes(StandardCharsets.UTF_8),
                REQUESTS.encode(request), headers, now));
    }

    /** Sends raw bytes, sealed: they reach the decoder. */
    void sendRaw(byte[] key, byte[] value) {
        org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        INGRESS.sign(headers, key == null ? null : new String(key, StandardCharsets.UTF_8), value);
        requestTopic.pipeInput(new TestRecord<>(key, value, headers, now));
    }

    void sendRawResult(byte[] key, byte[] value) {
        resultTopic.pipeInput(new TestRecord<>(key, value, now));
    }

    List<VoucherRequest> sentRequests() {
        return List.copyOf(sentRequests);
    }

    // ---- the ledger ----

    void ledgerAnswers(String voucherId, String commandSuffix, LedgerOutcome outcome, String reason) {
        LedgerResult result = new LedgerResult(voucherId + commandSuffix, voucherId, now, outcome, reason, 0L, 0L);
        resultTopic.pipeInput(new TestRecord<>(voucherId.getBytes(StandardCharsets.UTF_8), RESULTS.encode(result), now));
    }

    // ---- time ----

    void advanceTo(Instant instant) {
        driver.advanceWallClockTime(Duration.between(now, instant));
        now = instant;
    }

    void advance(Duration duration) {
        advanceTo(now.plus(duration));
    }

    Instant now() {
        return now;
    }

    // ---- what came out ----

    List<LedgerCommand> commands() {
        return commandTopic.readValuesToList();
    }

    List<TestRecord<String, LedgerCommand>> commandRecords() {
        return commandTopic.readRecordsToList();
    }

    List<TestRecord<String, VoucherEvent>> eventRecords() {
        return eventTopic.readRecordsToList();
    }

    List<VoucherEvent> events() {
        return eventTopic.readValuesToList();
    }

    /** Each state of a voucher as listed: the entries of the customer-vouchers index under the payer. */
    List<VoucherState> states() {
        return stateTopic.readKeyValuesToList().stream()
                .filter(entry -> entry.value != null && entry.key.equals(CustomerVoucherIndex.payerKey(entry.value)))
                .map(entry -> entry.value)
                .toList();
    }

    /** The entries written to the customer-vouchers index, by key; a null value removes the key's entry. */
    List<org.apache.kafka.streams.KeyValue<String, VoucherState>> customerIndexEntries() {
        return stateTopic.readKeyValuesToList();
    }

    // ---- settings ----

    /** A change of settings, sealed as the ingress seals it. */
    void changeSettings(SettingsChange change) {
        sendSealed(settingsChangeTopic, change.getCustomerId(), SETTINGS_CHANGES.encode(change));
    }

    /** A change of settings as someone who can write the topic but is not the ingress sends it: without a seal. */
    void changeSettingsUnsealed(SettingsChange change) {
        settingsChangeTopic.pipeInput(new TestRecord<>(change.getCustomerId().getBytes(StandardCharsets.UTF_8),
                SETTINGS_CHANGES.encode(change), new org.apache.kafka.common.header.internals.RecordHeaders(), now));
    }

    void legacySettings(CustomerSettings settings) {
        legacySettingsTopic.pipeInput(settings.getCustomerId(), settings);
    }

    CustomerSettings settings(String customerId) {
        byte[] settings = driver.<String, byte[]>getKeyValueStore(VoucherTopology.CUSTOMER_SETTINGS_STORE).get(customerId);
        return settings == null ? null : CustomerSettingsProcessor.SETTINGS.decode(settings);
    }

    // ---- Idempotency-Keys ----

    /** A claim of alice's key, made now, for the request {@code requestId}. */
    void claim(String key, String requestId) {
        claimDatedAt(key, requestId, now);
    }

    /** A claim of alice's key as an ingress whose clock reads {@code claimedAt} now makes it. */
    void claimDatedAt(String key, String requestId, Instant claimedAt) {
        IdempotencyClaim claim = new IdempotencyClaim(UUID.randomUUID().toString(), "alice", key, "hash-" + requestId,
                requestId, "v-" + requestId, claimedAt);
        sendSealed(claimTopic, IdempotencyClaims.keyOf(claim), IdempotencyClaims.CLAIMS.encode(claim));
    }

    /** A claim of alice's key as someone who can write the topic but is not the ingress sends it: without a seal. */
    void claimUnsealed(String key, String requestId) {
        IdempotencyClaim claim = new IdempotencyClaim(UUID.randomUUID().toString(), "alice", key, "hash-" + requestId,
                requestId, "v-" + requestId, now);
        claimTopic.pipeInput(new TestRecord<>(IdempotencyClaims.keyOf(claim).getBytes(StandardCharsets.UTF_8),
                IdempotencyClaims.CLAIMS.encode(claim), new org.apache.kafka.common.header.internals.RecordHeaders(), now));
    }

    /** The request of the first claim of alice's key that the topology keeps, or null. */
    String firstClaimOf(String key) {
        byte[] claim = driver.<String, byte[]>getKeyValueStore(VoucherTopology.IDEMPOTENCY_CLAIMS).get("alice/" + key);
        return claim == null ? null : IdempotencyClaims.CLAIMS.decode(claim).getRequestId();
    }

    // ---- abuse limits ----

    /** An attempt of the customer's, made now, as an ingress instance publishes it. */
    void attempt(String customerId, AttemptKind kind) {
        sendAttempt(customerId, new CustomerAttempt(customerId, kind, now));
    }

    /** An attempt published under the key given, whichever customer it names, sealed. */
    void sendAttempt(String key, CustomerAttempt attempt) {
        sendSealed(attemptTopic, key, ATTEMPTS.encode(attempt));
    }

    /** An attempt as someone who can write the topic but is not the ingress sends it: without a seal. */
    void sendAttemptUnsealed(CustomerAttempt attempt) {
        attemptTopic.pipeInput(new TestRecord<>(attempt.getCustomerId().getBytes(StandardCharsets.UTF_8),
                ATTEMPTS.encode(attempt), new org.apache.kafka.common.header.internals.RecordHeaders(), now));
    }

    private void sendSealed(TestInputTopic<byte[], byte[]> topic, String key, byte[] value) {
        org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        INGRESS.sign(headers, key, value);
        topic.pipeInput(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), value, headers, now));
    }

    /** The times of the customer's attempts of a kind that the store keeps, oldest first. */
    List<Instant> attemptsOf(String customerId, AttemptKind kind) {
        List<Instant> times = new ArrayList<>();
        try (var attempts = driver.<String, byte[]>getWindowStore(VoucherTopology.CUSTOMER_ATTEMPTS_STORE)
                .fetch(CustomerAttempts.storeKey(customerId, kind), Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE))) {
            attempts.forEachRemaining(attempt -> times.add(Instant.ofEpochMilli(attempt.key)));
        }
        return times;
    }

    /** One of the topology's key-value stores, as interactive queries read it. */
    <K, V> KeyValueStore<K, V> keyValueStore(String name) {
        return driver.getKeyValueStore(name);
    }

    /** The keys of the entries a store holds, in its order; a {@link RetentionSweep}'s bookmark aside. */
    List<String> keysOf(String storeName) {
        List<String> keys = new ArrayList<>();
        try (var all = driver.<String, Object>getKeyValueStore(storeName).all()) {
            all.forEachRemaining(entry -> keys.add(entry.key));
        }
        keys.remove(RetentionSweep.BOOKMARK_KEY);
        return keys;
    }

    List<TestRecord<byte[], byte[]>> deadLetters() {
        return deadLetterTopic.readRecordsToList();
    }

    VoucherState stored(String voucherId) {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(VoucherTopology.VOUCHER_STORE);
        byte[] state = store.get(voucherId);
        return state == null ? null : Vouchers.STATES.decode(state);
    }

    /**
     * Puts an issued voucher straight into the stores, as if it had been generated and frozen:
     * for setting up many vouchers quickly.
     */
    void seedIssuedVoucher(String voucherId, Instant expiresAt) {
        io.qrvoucher.voucher.domain.Voucher voucher = seedVoucherOnly(voucherId,
                io.qrvoucher.voucher.domain.VoucherStatus.UNUSED, expiresAt);
        indexes().changed(null, voucher);
    }

    /** Puts a voucher into the voucher store only, as a restored store holds it before the task's indexes are built. */
    io.qrvoucher.voucher.domain.Voucher seedVoucherOnly(String voucherId, io.qrvoucher.voucher.domain.VoucherStatus status,
                                                        Instant expiresAt) {
        return seedVoucherOnly(voucherId, status, io.qrvoucher.voucher.domain.HoldState.HELD, expiresAt);
    }

    /** As above, with its hold in the given state. */
    io.qrvoucher.voucher.domain.Voucher seedVoucherOnly(String voucherId, io.qrvoucher.voucher.domain.VoucherStatus status,
                                                        io.qrvoucher.voucher.domain.HoldState hold, Instant expiresAt) {
        KeyValueStore<String, byte[]> vouchers = driver.getKeyValueStore(VoucherTopology.VOUCHER_STORE);
        io.qrvoucher.voucher.domain.Voucher voucher = new io.qrvoucher.voucher.domain.Voucher(voucherId, "alice",
                "acc-alice", new io.qrvoucher.voucher.domain.Money(100, "CNY"), hashOf(codeOf(voucherId)),
                status, hold, now, expiresAt, now, 2, "r-" + voucherId, null, null, null);
        vouchers.put(voucherId, Vouchers.STATES.encode(AvroMapping.toAvro(voucher)));
        return voucher;
    }

    /** What a task does when it starts: index the vouchers of the store. Returns how many it read. */
    long buildIndexes() {
        return Vouchers.buildIndexes(driver.getKeyValueStore(VoucherTopology.VOUCHER_STORE), indexes());
    }

    VoucherIndexes indexes() {
        return (VoucherIndexes) driver.getStateStore(VoucherTopology.VOUCHER_INDEXES);
    }

    /** The vouchers the watchdog reported stalled that have not moved on since, as the listener was told. */
    Set<String> stalledVouchers() {
        return Set.copyOf(stalledVouchers.keySet());
    }

    long expiryIndexSize() {
        return indexes().expiryIndex().size();
    }

    double metric(String name) {
        return metric(name, Map.of());
    }

    /** The sum over the threads (counts) or tasks (durations) of a topology metric whose tags include {@code tags}. */
    double metric(String name, Map<String, String> tags) {
        return TopologyMetricNames.values(driver.metrics(), name, tags).sum();
    }

    /** Whether the store's one partition is held whole, as the topology says. */
    boolean isWhole(String store) {
        return wholePartitions.wholeSince(store, 0) != null;
    }

    @Override
    public void close() {
        driver.close();
        deleteRecursively(stateDir);
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }
}
