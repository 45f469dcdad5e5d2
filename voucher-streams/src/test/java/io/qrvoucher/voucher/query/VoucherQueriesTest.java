package io.qrvoucher.voucher.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StandbyUpdateListener;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.BankRules;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.RequestSignatures;
import io.qrvoucher.support.reads.VoucherStreamsReads.BadQuery;
import io.qrvoucher.support.reads.VoucherStreamsReads.NotHeld;
import io.qrvoucher.voucher.app.VoucherStreamsProperties;
import io.qrvoucher.voucher.streams.CustomerVoucherIndex.Role;
import io.qrvoucher.voucher.streams.RecordTracing;
import io.qrvoucher.voucher.streams.StalledVouchers;
import io.qrvoucher.voucher.streams.VoucherChanges;
import io.qrvoucher.voucher.streams.VoucherTopology;
import io.qrvoucher.voucher.streams.WholePartitions;

/**
 * What the owner of a voucher's partition and its standby answer, on a real broker: the active task, restored,
 * says that a voucher does not exist; the standby, or the active task while it restores, finds what it has and,
 * for what it lacks, sends the reader on.
 */
class VoucherQueriesTest {

    private static final String SIGNING_KEY = "cmVxdWVzdC1zaWduaW5nLWtleS1vZi10aGUtdGVzdHM=";
    private static final RequestSignatures INGRESS = new RequestSignatures("k1", Map.of("k1", SIGNING_KEY));

    /** Records of its changelog a standby may lack and still answer: a few, so that one held back soon lacks more. */
    private static final long STANDBY_MAX_LAG = 3;

    private static Path stateDir;

    private static TestBroker broker;
    private static Instance first;
    private static Instance second;

    /** One instance of the topology, with what it knows of its whole partitions, reached at {@code host}. */
    private record Instance(KafkaStreams streams, VoucherQueries queries, HostInfo host, StandbyLags lags,
                            WholePartitions whole, BrokerContact contact) {

        static Instance start(String name, int port) {
            return start("voucher-queries-test", name, port, null, null);
        }

        static Instance start(String applicationId, String name, int port, StateRestoreListener restoring,
                              StandbyUpdateListener updating) {
            return start(applicationId, name, port, restoring, updating, broker.bootstrapServers(), Map.of());
        }

        /**
         * @param restoring told of restorations in place of {@link WholePartitions}' own listener, if given
         * @param updating  told of standbys' updates in place of {@link WholePartitions}' own listener, if given
         * @param settings  more {@code voucher.*} settings
         */
        static Instance start(String applicationId, String name, int port, StateRestoreListener restoring,
                              StandbyUpdateListener updating, String bootstrapServers, Map<String, String> settings) {
            Map<String, String> given = new HashMap<>();
            given.put("voucher.application-id", applicationId);
            given.put("voucher.state-dir", stateDir.resolve(name).toString());
            given.put("voucher.advertised-url", "http://" + name + ":" + port);
            given.put("voucher.standby-replicas", "1");
            given.put("voucher.standby-max-lag", Long.toString(STANDBY_MAX_LAG));
            given.put("voucher.request-signing.keys.k1", SIGNING_KEY);
            given.putAll(settings);
            VoucherStreamsProperties properties = new Binder(new MapConfigurationPropertySource(given))
                    .bindOrCreate("voucher", VoucherStreamsProperties.class);
            WholePartitions whole = new WholePartitions();
            BankRules bank = new Binder(new MapConfigurationPropertySource(Map.of())).bindOrCreate("bank", BankRules.class);
            Properties config = properties.streamsConfig(KafkaConnection.plaintext(bootstrapServers));
            KafkaStreams streams = new KafkaStreams(
                    properties.topology(bank, VoucherChanges.NONE, StalledVouchers.NONE, RecordTracing.NONE, whole), config);
            whole.watch(streams);
            if (restoring != null) {
                streams.setGlobalStateRestoreListener(restoring);
            }
            if (updating != null) {
                streams.setStandbyUpdateListener(updating);
            }
            streams.start();
            HostInfo host = properties.applicationServer();
            StandbyLags lags = new StandbyLags(properties.standbyMaxLag()).watching(streams, Duration.ofMillis(100));
            BrokerContact contact = BrokerContact.of(config).watching(streams, Duration.ofMillis(200));
            return new Instance(streams, new VoucherQueries(streams, whole, lags, contact, host), host, lags, whole,
                    contact);
        }

        void close() {
            contact.close();
            lags.close();
            streams.close(CloseOptions.timeout(Duration.ofSeconds(30)));
        }
    }

    @BeforeAll
    static void start() throws IOException {
        // Not in the OS's temporary directory, which Kafka Streams warns about (it may be cleared under it).
        stateDir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "state")), "voucher-queries-test");
        broker = TestBroker.startRelayed(1, Topics.names().toArray(String[]::new));
        first = Instance.start("first", 1);
    }

    @AfterAll
    static void stop() {
        for (Instance instance : new Instance[] {second, first}) {
            if (instance != null) {
                instance.close();
            }
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void onlyTheRestoredActiveTaskSaysAVoucherDoesNotExistAStandbySendsTheReaderOn() {
        String voucherId = UUID.randomUUID().toString();
        generate(voucherId);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                assertThat(first.queries().voucher(voucherId, null).getVoucher().getStatus())
                        .isEqualTo(VoucherStatus.PENDING));

        second = Instance.start("second", 2);
        // Either may end up with the active task (both are within the acceptable lag): the other has the standby.
        await().atMost(Duration.ofSeconds(60)).until(() -> first.streams().state() == KafkaStreams.State.RUNNING
                && second.streams().state() == KafkaStreams.State.RUNNING && holders(voucherId).standbyHosts().size() == 1);
        Instance active = holders(voucherId).activeHost().equals(first.host()) ? first : second;
        Instance standby = active == first ? second : first;
        assertThat(holders(voucherId).standbyHosts()).containsExactly(standby.host());
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                assertThat(standby.queries().voucher(voucherId, null).getVoucher().getVoucherId())
                        .as("the standby finds what it has").isEqualTo(voucherId));
        VoucherAnswer pendingRequest = standby.queries().voucher(voucherId, "a-request-neither-accepted-nor-refused");
        assertThat(pendingRequest.getVoucher().getVoucherId()).isEqualTo(voucherId);
        assertThat(pendingRequest.getRefusal()).as("a request the standby has no refusal of is pending").isNull();

        String missing = UUID.randomUUID().toString();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                assertThat(active.queries().voucher(missing, null).getVoucher())
                        .as("the active task, restored: no such voucher").isNull());
        assertThatThrownBy(() -> standby.queries().voucher(missing, null))
                .as("the standby may lack it: the reader is sent on").isInstanceOf(NotHeld.class)
                .hasMessageContaining("held here by a standby or by a task still restoring");
    }

    /**
     * The one active task of the partition, while it restores its store from the changelog: what it has may be
     * older than the voucher is, and it has not got every voucher yet, so it answers neither and sends the reader
     * on; restored, it answers both.
     */
    @Test
    void anActiveTaskStillRestoringSendsTheReaderOnRatherThanSayAVoucherDoesNotExist() throws Exception {
        String applicationId = "voucher-queries-restoring-test";
        Instance before = Instance.start(applicationId, "before-restart", 3, null, null);
        String voucherId = UUID.randomUUID().toString();
        String missing = UUID.randomUUID().toString();
        Instance restarted = null;
        HeldRestoration restoration = new HeldRestoration(VoucherTopology.VOUCHER_STORE);
        try {
            generate(voucherId);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(before.queries().voucher(voucherId, null).getVoucher().getVoucherId()).isEqualTo(voucherId));
            before.streams().close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(30)));

            // A new instance with no state of its own restores the partition from its changelog: held open meanwhile.
            restarted = Instance.start(applicationId, "restarted", 4, restoration, null);
            assertThat(restoration.started.await(60, TimeUnit.SECONDS)).as("the restoration started").isTrue();
            Instance restoring = restarted;
            assertThatThrownBy(() -> restoring.queries().voucher(voucherId, null))
                    .as("restored in part, perhaps to an older version: the reader is sent on").isInstanceOf(NotHeld.class)
                    .hasMessageContaining("is restoring here");
            assertThatThrownBy(() -> restoring.queries().voucher(missing, null))
                    .as("a voucher it lacks may exist: the reader is sent on").isInstanceOf(NotHeld.class);

            restoration.finish.countDown();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                assertThat(restoring.queries().voucher(voucherId, null).getVoucher().getVoucherId()).isEqualTo(voucherId);
                assertThat(restoring.queries().voucher(missing, null).getVoucher()).as("restored: no such voucher").isNull();
            });
        } finally {
            restoration.finish.countDown();
            for (Instance instance : new Instance[] {restarted, before}) {
                if (instance != null) {
                    instance.close();
                }
            }
        }
    }

    /** A standby that falls behind its changelog (its updates held back here) answers nothing until it catches up. */
    @Test
    void aStandbyFarBehindItsChangelogSendsTheReaderOnUntilItCatchesUp() {
        String applicationId = "voucher-queries-lagging-test";
        HeldUpdates heldAtFirst = new HeldUpdates();
        HeldUpdates heldAtSecond = new HeldUpdates();
        Instance one = null;
        Instance two = null;
        try {
            one = Instance.start(applicationId, "lagging-one", 5, null, heldAtFirst);
            String voucherId = UUID.randomUUID().toString();
            generate(voucherId);
            Instance first = one;
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(first.queries().voucher(voucherId, null).getVoucher().getVoucherId()).isEqualTo(voucherId));
            two = Instance.start(applicationId, "lagging-two", 6, null, heldAtSecond);
            Instance second = two;
            await().atMost(Duration.ofSeconds(60)).until(() -> first.streams().state() == KafkaStreams.State.RUNNING
                    && second.streams().state() == KafkaStreams.State.RUNNING
                    && holders(first, voucherId).standbyHosts().size() == 1);
            Instance standby = holders(first, voucherId).activeHost().equals(first.host()) ? second : first;
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(standby.queries().voucher(voucherId, null).getVoucher().getVoucherId())
                            .as("caught up, the standby answers").isEqualTo(voucherId));

            HeldUpdates held = standby == first ? heldAtFirst : heldAtSecond;
            held.hold();
            for (int i = 0; i < 2 * STANDBY_MAX_LAG; i++) {
                generate(UUID.randomUUID().toString());
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThatThrownBy(() -> standby.queries().voucher(voucherId, null))
                            .as("held back, the standby lacks more than it may").isInstanceOf(NotHeld.class)
                            .hasMessageContaining("records behind its changelog"));

            held.release();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(standby.queries().voucher(voucherId, null).getVoucher().getVoucherId())
                            .as("caught up again").isEqualTo(voucherId));
        } finally {
            heldAtFirst.release();
            heldAtSecond.release();
            for (Instance instance : new Instance[] {two, one}) {
                if (instance != null) {
                    instance.close();
                }
            }
        }
    }

    /**
     * An instance cut off from the brokers keeps its tasks as they were, and nothing tells it when its session times
     * out and another instance takes them over: it stops answering before then, so that no moment comes when the
     * other holds the partition whole and it still answers from a store that no longer changes.
     */
    @Test
    void anInstanceCutOffFromTheBrokersStopsAnsweringBeforeAnotherCanHoldItsPartitions() {
        String applicationId = "voucher-queries-cut-off-test";
        // Only a copy with all of the changelog counts as caught up: the active task stays where the state is. And a
        // standby answers only so: back as one, the cut-off instance may not answer the few records behind it may.
        Map<String, String> settings = Map.of("voucher.streams.acceptable.recovery.lag", "0", "voucher.standby-max-lag", "0");
        Instance isolated = null;
        Instance reachable = null;
        try {
            isolated = Instance.start(applicationId, "cut-off", 7, null, null, broker.relayedBootstrapServers(), settings);
            String voucherId = UUID.randomUUID().toString();
            generate(voucherId);
            Instance cutOff = isolated;
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(cutOff.queries().voucher(voucherId, null).getVoucher().getVoucherId()).isEqualTo(voucherId));
            reachable = Instance.start(applicationId, "reachable", 8, null, null, broker.bootstrapServers(), settings);
            Instance other = reachable;
            await().atMost(Duration.ofSeconds(60)).until(() -> cutOff.streams().state() == KafkaStreams.State.RUNNING
                    && other.streams().state() == KafkaStreams.State.RUNNING
                    && holders(cutOff, voucherId).standbyHosts().contains(other.host()));
            assertThat(holders(cutOff, voucherId).activeHost()).isEqualTo(cutOff.host());
            int partition = holders(cutOff, voucherId).partition();

            broker.relay().cut();
            assertThat(cutOff.queries().voucher(voucherId, null).getVoucher().getVoucherId())
                    .as("just cut off, it still answers").isEqualTo(voucherId);
            await().atMost(Duration.ofSeconds(90)).until(() ->
                    other.whole().wholeSince(VoucherTopology.VOUCHER_STORE, partition) != null);
            assertThatThrownBy(() -> cutOff.queries().voucher(voucherId, null))
                    .as("the other holds the partition whole: the cut-off one answers no more").isInstanceOf(NotHeld.class)
                    .hasMessageContaining("heard too little from the brokers");
            frozen(voucherId);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(other.queries().voucher(voucherId, null).getVoucher().getStatus())
                            .isEqualTo(VoucherStatus.UNUSED));

            // Back in touch, its first responses are of requests held up meanwhile, before it learns it is no member.
            broker.relay().mend();
            await().during(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(20)).until(() ->
                    answersNothingOlderThan(cutOff, voucherId, VoucherStatus.UNUSED));
        } finally {
            broker.relay().mend();
            for (Instance instance : new Instance[] {reachable, isolated}) {
                if (instance != null) {
                    instance.close();
                }
            }
        }
    }

    /** Whether the instance, asked for the voucher, answers nothing or at least its status now. */
    private static boolean answersNothingOlderThan(Instance asked, String voucherId, VoucherStatus now) {
        try {
            return asked.queries().voucher(voucherId, null).getVoucher().getStatus() == now;
        } catch (NotHeld notHeld) {
            return true;
        }
    }

    /** Holds a standby's updates, once told to, at its next batch until released (for a minute at most). */
    private static final class HeldUpdates implements StandbyUpdateListener {

        private volatile CountDownLatch held = new CountDownLatch(0);

        void hold() {
            held = new CountDownLatch(1);
        }

        void release() {
            held.countDown();
        }

        @Override
        public void onUpdateStart(TopicPartition changelog, String store, long startingOffset) {
        }

        @Override
        public void onBatchLoaded(TopicPartition changelog, String store, TaskId task, long batchEndOffset,
                                  long batchSize, long currentEndOffset) {
            try {
                held.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void onUpdateSuspended(TopicPartition changelog, String store, long storeOffset, long currentEndOffset,
                                      SuspendReason reason) {
        }
    }

    /** Holds the restoration of a store open, from its first batch until {@code finish} (for a minute at most). */
    private static final class HeldRestoration implements StateRestoreListener {

        private final String store;
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch finish = new CountDownLatch(1);

        HeldRestoration(String store) {
            this.store = store;
        }

        @Override
        public void onRestoreStart(TopicPartition changelog, String storeName, long startingOffset, long endingOffset) {
        }

        @Override
        public void onBatchRestored(TopicPartition changelog, String storeName, long batchEndOffset, long restored) {
            if (storeName.equals(store)) {
                started.countDown();
                try {
                    finish.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void onRestoreEnd(TopicPartition changelog, String storeName, long totalRestored) {
        }
    }

    /**
     * A page reads at most its budget of the index: a list by a status none of the vouchers has goes on by cursors,
     * page after empty page, and a page number past the budget is refused (its vouchers are reached by cursors).
     */
    @Test
    void aListPageReadsAtMostItsBudgetOfTheIndexAndGoesOnByCursors() {
        String payer = "lister-" + UUID.randomUUID();
        for (int i = 0; i < 7; i++) {
            generate(UUID.randomUUID().toString(), payer);
        }
        Instant from = Instant.now().minus(Duration.ofDays(1));
        Instant to = Instant.now().plus(Duration.ofDays(1));
        Set<VoucherStatus> every = EnumSet.allOf(VoucherStatus.class);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> first.queries()
                .vouchersOf(payer, Role.PAYER, from, to, every, null, 0, 100).getItems().size() == 7);
        VoucherQueries budgeted = new VoucherQueries(first.streams(), first.whole(), first.lags(), first.contact(),
                first.host(), 3);

        List<Integer> pages = new ArrayList<>();
        String next = null;
        do {
            VoucherPage page = budgeted.vouchersOf(payer, Role.PAYER, from, to, EnumSet.of(VoucherStatus.REDEEMED), next,
                    0, 10);
            pages.add(page.getItems().size());
            next = page.getNext();
        } while (next != null && pages.size() < 10);

        assertThat(pages).as("3 entries read, 3, then the last").containsExactly(0, 0, 0);
        List<String> listed = new ArrayList<>();
        next = null;
        do {
            VoucherPage page = budgeted.vouchersOf(payer, Role.PAYER, from, to, every, next, 0, 2);
            page.getItems().forEach(voucher -> listed.add(voucher.getVoucherId()));
            next = page.getNext();
        } while (next != null && listed.size() < 20);
        assertThat(listed).as("every voucher once, by cursors").hasSize(7).doesNotHaveDuplicates();
        assertThatThrownBy(() -> budgeted.vouchersOf(payer, Role.PAYER, from, to, every, null, 4, 2))
                .isInstanceOf(BadQuery.class).hasMessageContaining("cursors");
    }

    private static KeyQueryMetadata holders(String voucherId) {
        return holders(first, voucherId);
    }

    private static KeyQueryMetadata holders(Instance asked, String voucherId) {
        return asked.streams().queryMetadataForKey(VoucherTopology.VOUCHER_STORE, voucherId, Serdes.String().serializer());
    }

    /**
     * "Not held here" sends the reader to another instance: right for a Kafka Streams not running or a partition that
     * moved, wrong for a fault of this instance, which would be answered 421 and never logged as the error it is.
     */
    @Test
    void aFaultOfThisInstanceIsNotPassedOffAsAPartitionHeldElsewhere() {
        String voucherId = UUID.randomUUID().toString();
        try (KafkaStreams notStarted = unstarted(null)) {
            assertThatThrownBy(() -> queriesOf(notStarted).voucher(voucherId, null)).isInstanceOf(NotHeld.class);
        }
        try (KafkaStreams faulty = unstarted(new IllegalArgumentException("a fault of this instance"))) {
            assertThatThrownBy(() -> queriesOf(faulty).voucher(voucherId, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("a fault of this instance");
        }
    }

    /** A Kafka Streams never started, whose reads fail with {@code fault} if given, else as Kafka Streams' own do. */
    private static KafkaStreams unstarted(RuntimeException fault) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(Topics.VOUCHER_REQUESTS);
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "voucher-queries-test-unstarted");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("unstarted").toString());
        return new KafkaStreams(builder.build(), config) {
            @Override
            public <K> KeyQueryMetadata queryMetadataForKey(String store, K key, Serializer<K> serializer) {
                if (fault != null) {
                    throw fault;
                }
                return super.queryMetadataForKey(store, key, serializer);
            }
        };
    }

    private static VoucherQueries queriesOf(KafkaStreams streams) {
        return new VoucherQueries(streams, first.whole(), first.lags(), first.contact(), first.host());
    }

    /** Answers the voucher's freeze as the ledger does. */
    private static void frozen(String voucherId) {
        LedgerResult result = new LedgerResult(VoucherRules.ledgerCommandId(voucherId, VoucherRules.FREEZE), voucherId,
                Instant.now(), LedgerOutcome.FROZEN, null, 0L, 0L);
        send(new ProducerRecord<>(Topics.LEDGER_RESULTS, voucherId, AvroSerde.of(LedgerResult.class).encode(result)));
    }

    /** Sends a generation as the ingress does: sealed. */
    private static void generate(String voucherId) {
        generate(voucherId, "alice");
    }

    private static void generate(String voucherId, String payer) {
        VoucherRequest request = new VoucherRequest("gen-" + voucherId, voucherId, payer, Instant.now(),
                new GenerateVoucher("acc-" + payer, 5_00L, "CNY", null, "ab".repeat(32)));
        byte[] value = AvroSerde.of(VoucherRequest.class).encode(request);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.VOUCHER_REQUESTS, voucherId, value);
        INGRESS.sign(record.headers(), voucherId, value);
        send(record);
    }

    private static void send(ProducerRecord<String, byte[]> record) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(record);
        }
    }
}
