package io.qrvoucher.ledger.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.ledger.LedgerDatabases;
import io.qrvoucher.ledger.AdapterBroker;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.DeadLetterHeaders;

/** The adapter as it runs: commands from a real broker, a real PostgreSQL, results back on the broker. */
@SpringBootTest(classes = LedgerAdapterApplication.class, properties = {"spring.config.name=ledger-adapter",
        "ledger.demo.load-customers=3", "ledger.account-snapshots.publish=true"})
@ActiveProfiles("demo")
@Import(AdapterBroker.class)
@DirtiesContext
class LedgerAdapterKafkaTest {

    private static final String DATABASE = LedgerDatabases.newLedger();
    private static final AvroSerde<LedgerResult> RESULTS = AvroSerde.of(LedgerResult.class);
    private static final AvroSerde<AccountSnapshot> SNAPSHOTS = AvroSerde.of(AccountSnapshot.class);
    private static final AvroSerde<LedgerCommand> COMMANDS = AvroSerde.of(LedgerCommand.class);

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestDatabases.register(registry, DATABASE);
    }

    @Autowired
    TestBroker broker;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    MeterRegistry meters;

    private KafkaProducer<String, byte[]> producer;
    private TopicReader topics;

    @BeforeEach
    void connect() {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer());
        topics = new TopicReader(broker.bootstrapServers(), "ledger-results", "account-snapshots", "ledger-dead-letters");
    }

    @AfterEach
    void disconnect() {
        producer.close();
        topics.close();
    }

    /**
     * The server probes the adapter's connections: one cut off inside a transaction (its host gone) loses it, and the
     * rows it locked, within about a minute, not after the system's two hours of TCP keepalive.
     */
    @Test
    void theDatabaseProbesTheAdaptersConnectionsSoThatOneCutOffLetsGoOfItsLocksSoon() {
        assertThat(jdbc.sql("SHOW tcp_keepalives_idle").query(String.class).single()).isEqualTo("30");
        assertThat(jdbc.sql("SHOW tcp_keepalives_count").query(String.class).single()).isEqualTo("3");
    }

    @Test
    void theDemoCustomersAccountsArePublishedAtStart() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(topics.values("account-snapshots", "alice-cny", SNAPSHOTS::decode))
                        .anySatisfy(alice -> {
                            assertThat(alice.getOwnerCustomerId()).isEqualTo("alice");
                            assertThat(alice.getBalanceMinor()).isEqualTo(10_000_00L);
                        }));
        assertThat(topics.values("account-snapshots", "bob-cny", SNAPSHOTS::decode))
                .extracting(AccountSnapshot::getBalanceMinor).contains(500_00L);
        assertThat(topics.values("account-snapshots", "carol-cny", SNAPSHOTS::decode))
                .extracting(AccountSnapshot::getBalanceMinor).contains(0L);
    }

    @Test
    void theDemoProfileOpensTheLoadCustomersItIsAskedFor() {
        assertThat(jdbc.sql("SELECT owner_customer_id || ':' || balance_minor FROM accounts WHERE account_id LIKE 'load-%' "
                + "ORDER BY account_id").query(String.class).list()).containsExactly(
                "load-payee-1:0", "load-payee-2:0", "load-payee-3:0",
                "load-payer-1:100000000", "load-payer-2:100000000", "load-payer-3:100000000");
    }

    @Test
    void freezeTransferAndReleaseAreAppliedAndAnswered() {
        send("k1", new FreezeFunds("alice", "alice-cny", 200_00L, "CNY"), "/freeze");
        assertThat(awaitResult("k1").getOutcome()).isEqualTo(LedgerOutcome.FROZEN);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(topics.values("account-snapshots", "alice-cny", SNAPSHOTS::decode))
                        .anySatisfy(alice -> assertThat(alice.getHeldMinor()).isEqualTo(200_00L)));

        send("k1", new TransferFunds(50_00L, "CNY", "carol", new ExternalAccount("ICBC", "Dan", "6222")), "/transfer");
        LedgerResult transferred = awaitResult("k1", 2);
        assertThat(transferred.getOutcome()).isEqualTo(LedgerOutcome.TRANSFERRED);
        assertThat(transferred.getTransferredMinor()).isEqualTo(50_00L);
        assertThat(transferred.getReleasedMinor()).isEqualTo(150_00L);

        send("k2", new FreezeFunds("bob", "bob-cny", 100_00L, "CNY"), "/freeze");
        awaitResult("k2");
        send("k2", new ReleaseFunds(), "/release");
        assertThat(awaitResult("k2", 2).getOutcome()).isEqualTo(LedgerOutcome.RELEASED);
    }

    @Test
    void aTransferWhoseDataTheDatabaseRefusesIsRefusedAtOnceNotRetriedAsAnOutage() {
        send("k-nul", new FreezeFunds("alice", "alice-cny", 10_00L, "CNY"), "/freeze");
        awaitResult("k-nul");
        send("k-nul", new TransferFunds(10_00L, "CNY", "carol", new ExternalAccount("ICBC", "Dan\u0000Eve", "6222")),
                "/transfer");

        LedgerResult refused = awaitResult("k-nul", 2);
        assertThat(refused.getOutcome()).isEqualTo(LedgerOutcome.TRANSFER_FAILED);
        assertThat(refused.getReason()).isEqualTo("INVALID_COMMAND");
        // The voucher then gives the hold back, as it does after any failed transfer.
        send("k-nul", new ReleaseFunds(), "/release");
        assertThat(awaitResult("k-nul", 3).getOutcome()).isEqualTo(LedgerOutcome.RELEASED);
    }

    @Test
    void aFreezeWhoseDataTheDatabaseRefusesIsRefusedAtOnceAndTheNextCommandIsApplied() {
        send("k-nul-freeze", new FreezeFunds("alice", "alice\u0000cny", 10_00L, "CNY"), "/freeze");

        LedgerResult refused = awaitResult("k-nul-freeze");
        assertThat(refused.getOutcome()).isEqualTo(LedgerOutcome.FREEZE_REFUSED);
        assertThat(refused.getReason()).isEqualTo("INVALID_COMMAND");
        send("k-nul-freeze-next", new FreezeFunds("alice", "alice-cny", 10_00L, "CNY"), "/freeze");
        assertThat(awaitResult("k-nul-freeze-next").getOutcome()).isEqualTo(LedgerOutcome.FROZEN);
    }

    @Test
    void aRefusedFreezeIsAnsweredWithItsReason() {
        send("k3", new FreezeFunds("carol", "carol-cny", 1_00L, "CNY"), "/freeze");

        LedgerResult refused = awaitResult("k3");
        assertThat(refused.getOutcome()).isEqualTo(LedgerOutcome.FREEZE_REFUSED);
        assertThat(refused.getReason()).isEqualTo("INSUFFICIENT_FUNDS");
    }

    @Test
    void theSameCommandDeliveredTwiceAppliesOnceAndPublishesTheSameResult() {
        send("k4", new FreezeFunds("alice", "alice-cny", 10_00L, "CNY"), "/freeze");
        awaitResult("k4");
        LedgerCommand transfer = command("k4", new TransferFunds(10_00L, "CNY", "bob", new OwnAccount("bob-cny")), "/transfer");

        send(transfer);
        send(transfer);

        LedgerResult first = awaitResult("k4", 2);
        LedgerResult second = awaitResult("k4", 3);
        assertThat(second).isEqualTo(first);
        assertThat(jdbc.sql("SELECT count(*) FROM journal_transactions WHERE command_id = 'k4/transfer'")
                .query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void aRecordThatIsNotACommandIsDeadLetteredWithTheReasonAndCountedAndTheNextOneIsApplied() {
        double deadLettersBefore = meters.get("ledger.dead.letters").counter().count();
        producer.send(new ProducerRecord<>("ledger-commands", "k5", "not avro".getBytes(StandardCharsets.UTF_8)));
        send("k5", new FreezeFunds("alice", "alice-cny", 1_00L, "CNY"), "/freeze");

        assertThat(awaitResult("k5").getOutcome()).isEqualTo(LedgerOutcome.FROZEN);
        await().atMost(Duration.ofSeconds(30)).until(() -> !topics.records("ledger-dead-letters", "k5").isEmpty());
        ConsumerRecord<String, byte[]> dead = topics.records("ledger-dead-letters", "k5").get(0);
        assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not avro");
        assertThat(header(dead, DeadLetterHeaders.REASON)).contains("LedgerCommand");
        assertThat(header(dead, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo("ledger-commands");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(meters.get("ledger.dead.letters").counter().count()).isEqualTo(deadLettersBefore + 1));
    }

    /**
     * The ledger answers a command id it applied before with its stored result: a command whose id is another
     * voucher's (an edited dead letter replayed, say) would be told that voucher's outcome, as if done for its own.
     */
    @Test
    void aCommandWhoseIdIsNotItsVouchersIsDeadLetteredNotAnsweredWithAnothersResult() {
        send("k10", new FreezeFunds("alice", "alice-cny", 1_00L, "CNY"), "/freeze");
        assertThat(awaitResult("k10").getOutcome()).isEqualTo(LedgerOutcome.FROZEN);

        send(new LedgerCommand("k10/freeze", "k11", Instant.now(), new FreezeFunds("alice", "alice-cny", 1_00L, "CNY")));
        send(new LedgerCommand("k11/release", "k11", Instant.now(), new FreezeFunds("alice", "alice-cny", 1_00L, "CNY")));

        await().atMost(Duration.ofSeconds(30)).until(() -> topics.records("ledger-dead-letters", "k11").size() == 2);
        assertThat(topics.records("ledger-dead-letters", "k11")).extracting(dead -> header(dead, DeadLetterHeaders.REASON))
                .containsExactly("Command id k10/freeze is not k11/freeze, the id of voucher k11's freeze",
                        "Command id k11/release is not k11/freeze, the id of voucher k11's freeze");
        assertThat(topics.records("ledger-results", "k11")).isEmpty();
    }

    /**
     * A voucher's commands are applied in order because they share its key's partition: one under another key (a
     * dead letter replayed under the wrong key, say) could overtake its voucher's freeze, or be overtaken by its release.
     */
    @Test
    void aCommandUnderAnotherKeyThanItsVouchersIsDeadLetteredNotApplied() {
        producer.send(new ProducerRecord<>("ledger-commands", "k13",
                COMMANDS.encode(command("k12", new FreezeFunds("alice", "alice-cny", 1_00L, "CNY"), "/freeze"))));
        producer.flush();
        send("k13", new FreezeFunds("alice", "alice-cny", 1_00L, "CNY"), "/freeze");

        assertThat(awaitResult("k13").getOutcome()).isEqualTo(LedgerOutcome.FROZEN);
        await().atMost(Duration.ofSeconds(30)).until(() -> !topics.records("ledger-dead-letters", "k13").isEmpty());
        assertThat(header(topics.records("ledger-dead-letters", "k13").get(0), DeadLetterHeaders.REASON))
                .isEqualTo("Command k12/freeze came under the key k13, not its voucher's: it could be applied out of its "
                        + "voucher's order");
        assertThat(topics.records("ledger-results", "k12")).isEmpty();
        assertThat(jdbc.sql("SELECT count(*) FROM holds WHERE voucher_id = 'k12'")
                .query(Long.class).single()).isZero();
    }

    @Test
    void theCommandsOfAPollAroundOneThatIsNotACommandAreAnsweredAndOnlyThatOneIsDeadLettered() {
        // One partition, sent together: the three records usually arrive in one poll.
        producer.send(new ProducerRecord<>("ledger-commands", 0, "k6", COMMANDS.encode(
                command("k6", new FreezeFunds("alice", "alice-cny", 1_00L, "CNY"), "/freeze"))));
        producer.send(new ProducerRecord<>("ledger-commands", 0, "k6x", "not avro".getBytes(StandardCharsets.UTF_8)));
        producer.send(new ProducerRecord<>("ledger-commands", 0, "k7", COMMANDS.encode(
                command("k7", new FreezeFunds("alice", "alice-cny", 2_00L, "CNY"), "/freeze"))));
        producer.flush();

        assertThat(awaitResult("k6").getOutcome()).isEqualTo(LedgerOutcome.FROZEN);
        assertThat(awaitResult("k7").getOutcome()).isEqualTo(LedgerOutcome.FROZEN);
        await().atMost(Duration.ofSeconds(30)).until(() -> !topics.records("ledger-dead-letters", "k6x").isEmpty());
        assertThat(topics.records("ledger-dead-letters", "k6")).isEmpty();
        assertThat(topics.values("ledger-results", "k6", RESULTS::decode)).hasSize(1);
    }

    @Test
    void aResultContinuesTheTraceItsCommandCarries() {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        ProducerRecord<String, byte[]> freeze = new ProducerRecord<>("ledger-commands", "k8", COMMANDS.encode(
                command("k8", new FreezeFunds("alice", "alice-cny", 1_00L, "CNY"), "/freeze")));
        freeze.headers().add("traceparent", ("00-" + traceId + "-00f067aa0ba902b7-01").getBytes(StandardCharsets.UTF_8));
        producer.send(freeze);
        producer.flush();

        awaitResult("k8");
        assertThat(header(topics.records("ledger-results", "k8").get(0), "traceparent")).startsWith("00-" + traceId + "-");
    }

    private LedgerResult awaitResult(String voucherId) {
        return awaitResult(voucherId, 1);
    }

    private LedgerResult awaitResult(String voucherId, int nth) {
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.values("ledger-results", voucherId, RESULTS::decode).size() >= nth);
        return topics.values("ledger-results", voucherId, RESULTS::decode).get(nth - 1);
    }

    private void send(String voucherId, Object body, String suffix) {
        send(command(voucherId, body, suffix));
    }

    private void send(LedgerCommand command) {
        producer.send(new ProducerRecord<>("ledger-commands", command.getVoucherId(),
                COMMANDS.encode(command)));
        producer.flush();
    }

    private static LedgerCommand command(String voucherId, Object body, String suffix) {
        return new LedgerCommand(voucherId + suffix, voucherId, Instant.now(), body);
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

}
