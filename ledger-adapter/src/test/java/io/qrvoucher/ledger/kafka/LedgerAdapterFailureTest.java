package io.qrvoucher.ledger.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import javax.sql.DataSource;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.kafka.core.KafkaTemplate;

import com.zaxxer.hikari.HikariDataSource;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.ledger.LedgerDatabases;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.BankRules;

/** The adapter when its process dies or its database is unreachable, on a real broker and PostgreSQL. */
class LedgerAdapterFailureTest {

    private static TestBroker broker;
    private static String database;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(3, "ledger-commands", "ledger-results", "account-snapshots", "ledger-dead-letters",
                "voucher-events");
        database = LedgerDatabases.newLedger();
    }

    @BeforeEach
    void databaseReachable() {
        UnreachableDatabase.reachable.set(true);
        UnreachableDatabase.failures.set(0);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    /**
     * The adapter dies after the database committed a transfer and before its result reached the
     * broker. The restarted adapter gets the command again, publishes the stored result, and the
     * journal still has one entry pair.
     */
    @Test
    void aCrashBetweenTheCommitAndThePublishPublishesTheStoredResultAfterRestartAndAppliesOnce() {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        long bobBefore;
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results")) {
            try (ConfigurableApplicationContext dying = adapter(DiesBeforePublishing.class)) {
                // Read once the adapter has opened the demo accounts; the other tests of this class may have moved it.
                bobBefore = jdbc.sql("SELECT balance_minor FROM accounts WHERE account_id = 'bob-cny'")
                        .query(Long.class).single();
                LedgerCommands.send(producer, "c1", new FreezeFunds("alice", "alice-cny", 100_00L, "CNY"), "/freeze");
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        jdbc.sql("SELECT count(*) FROM processed_commands WHERE command_id = 'c1/freeze'")
                                .query(Long.class).single() == 1L);
                LedgerCommands.send(producer, "c1", new TransferFunds(60_00L, "CNY", "bob", new OwnAccount("bob-cny")), "/transfer");
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        jdbc.sql("SELECT count(*) FROM processed_commands WHERE command_id = 'c1/transfer'")
                                .query(Long.class).single() == 1L);
            }
            assertThat(results.values("ledger-results", "c1", AvroSerde.of(LedgerResult.class)::decode))
                    .as("only the freeze's result got out before the crash")
                    .extracting(LedgerResult::getCommandId).containsExactly("c1/freeze");

            try (ConfigurableApplicationContext restarted = adapter()) {
                await().atMost(Duration.ofSeconds(60)).until(() -> results.values("ledger-results", "c1",
                        AvroSerde.of(LedgerResult.class)::decode).size() >= 2);
            }

            assertThat(results.values("ledger-results", "c1", AvroSerde.of(LedgerResult.class)::decode))
                    .extracting(LedgerResult::getCommandId, LedgerResult::getOutcome)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("c1/freeze", LedgerOutcome.FROZEN),
                            org.assertj.core.groups.Tuple.tuple("c1/transfer", LedgerOutcome.TRANSFERRED));
            assertThat(jdbc.sql("SELECT count(*) FROM journal_entries e JOIN journal_transactions t USING (transaction_id) "
                    + "WHERE t.command_id = 'c1/transfer'").query(Long.class).single()).isEqualTo(2L);
            assertThat(jdbc.sql("SELECT balance_minor FROM accounts WHERE account_id = 'bob-cny'")
                    .query(Long.class).single()).as("credited once").isEqualTo(bobBefore + 60_00L);
        } finally {
            dataSource.close();
        }
    }

    /**
     * While the database is unreachable nothing is answered, however long. Once it answers, a freeze
     * that waited past a transfer's give-up time is applied — giving it up could leave money held —
     * and a transfer that did is refused: the ledger stores TRANSFER_FAILED, having changed nothing,
     * and only that stored refusal is published.
     */
    @Test
    void aFreezeWaitsForAnUnreachableLedgerWhileATransferPastItsGiveUpTimeIsRefusedOnceTheLedgerAnswers() {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results");
             ConfigurableApplicationContext adapter = adapter(UnreachableDatabase.class)) {
            UnreachableDatabase.reachable.set(false);
            LedgerCommands.send(producer, "u1", new FreezeFunds("alice", "alice-cny", 100_00L, "CNY"), "/freeze");
            // 200 ms apart, twenty attempts outlast the 2 s give-up time of a transfer.
            await().atMost(Duration.ofSeconds(30)).until(() -> UnreachableDatabase.failures.get() >= 20);
            assertThat(results.records("ledger-results", "u1")).as("the freeze is still waiting").isEmpty();

            UnreachableDatabase.reachable.set(true);
            await().atMost(Duration.ofSeconds(30)).until(() -> !published(results, "u1/freeze").isEmpty());
            assertThat(published(results, "u1/freeze")).extracting(LedgerResult::getOutcome)
                    .containsExactly(LedgerOutcome.FROZEN);

            UnreachableDatabase.reachable.set(false);
            LedgerCommands.send(producer, "u1", new TransferFunds(100_00L, "CNY", "bob", new OwnAccount("bob-cny")), "/transfer");
            awaitOverdueUnanswered(adapter, results, "u1/transfer");

            UnreachableDatabase.reachable.set(true);
            await().atMost(Duration.ofSeconds(30)).until(() -> !published(results, "u1/transfer").isEmpty());
            assertThat(published(results, "u1/transfer")).singleElement().satisfies(failed -> {
                assertThat(failed.getOutcome()).isEqualTo(LedgerOutcome.TRANSFER_FAILED);
                assertThat(failed.getReason()).isEqualTo("LEDGER_UNAVAILABLE");
            });
            assertThat(storedOutcome(jdbc, "u1/transfer")).as("the refusal is in the ledger for any redelivery")
                    .isEqualTo("TRANSFER_FAILED/LEDGER_UNAVAILABLE");
            assertThat(jdbc.sql("SELECT state FROM holds WHERE voucher_id = 'u1'").query(String.class).single())
                    .as("the hold stays for the voucher to release").isEqualTo("HELD");
            assertThat(overdueTransfers(adapter)).isZero();
        } finally {
            dataSource.close();
        }
    }

    /**
     * A transfer refused after its give-up time is delivered again — to an adapter that never saw the
     * outage, with the database healthy, so that nothing but the stored refusal stops it. It is
     * answered with that refusal, and the money stays where it was.
     */
    @Test
    void aTransferRefusedAfterItsGiveUpTimeIsAnsweredFromTheStoredRefusalWhenDeliveredAgain() {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        TransferFunds transfer = new TransferFunds(30_00L, "CNY", "bob", new OwnAccount("bob-cny"));
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results")) {
            long aliceBefore;
            long bobBefore;
            try (ConfigurableApplicationContext adapter = adapter(UnreachableDatabase.class)) {
                LedgerCommands.send(producer, "r1", new FreezeFunds("alice", "alice-cny", 30_00L, "CNY"), "/freeze");
                await().atMost(Duration.ofSeconds(30)).until(() -> !published(results, "r1/freeze").isEmpty());
                aliceBefore = balance(jdbc, "alice-cny");
                bobBefore = balance(jdbc, "bob-cny");

                UnreachableDatabase.reachable.set(false);
                LedgerCommands.send(producer, "r1", transfer, "/transfer");
                awaitOverdueUnanswered(adapter, results, "r1/transfer");
                UnreachableDatabase.reachable.set(true);
                await().atMost(Duration.ofSeconds(30)).until(() -> !published(results, "r1/transfer").isEmpty());
            }

            try (ConfigurableApplicationContext fresh = adapter()) {
                LedgerCommands.send(producer, "r1", transfer, "/transfer");
                await().atMost(Duration.ofSeconds(60)).until(() -> published(results, "r1/transfer").size() >= 2);
            }

            List<LedgerResult> answers = published(results, "r1/transfer");
            assertThat(answers).allSatisfy(answer -> {
                assertThat(answer.getOutcome()).isEqualTo(LedgerOutcome.TRANSFER_FAILED);
                assertThat(answer.getReason()).isEqualTo("LEDGER_UNAVAILABLE");
                assertThat(answer.getProcessedAt()).as("the stored refusal, not a new decision")
                        .isEqualTo(answers.get(0).getProcessedAt());
            });
            assertThat(jdbc.sql("SELECT state FROM holds WHERE voucher_id = 'r1'").query(String.class).single())
                    .isEqualTo("HELD");
            assertThat(journalEntries(jdbc, "r1/transfer")).isZero();
            assertThat(balance(jdbc, "alice-cny")).isEqualTo(aliceBefore);
            assertThat(balance(jdbc, "bob-cny")).isEqualTo(bobBefore);
        } finally {
            dataSource.close();
        }
    }

    /**
     * A transfer into an account whose row another transaction holds (an operator's, a stuck session's) waited for it
     * as long as that lasted: the listener's thread past max.poll.interval.ms, and its give-up never started, since
     * only a failure starts it. Its statement is cancelled after the statement timeout, and it is given up like one the
     * database cannot take; the money stays where it was.
     */
    @Test
    void aTransferWaitingOnARowHeldElsewhereIsCancelledAndGivenUpAfterItsGiveUpTime() throws SQLException {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results");
             ConfigurableApplicationContext adapter = adapter();
             Connection holder = dataSource.getConnection()) {
            LedgerCommands.send(producer, "h1", new FreezeFunds("alice", "alice-cny", 5_00L, "CNY"), "/freeze");
            await().atMost(Duration.ofSeconds(30)).until(() -> !published(results, "h1/freeze").isEmpty());
            long bobBefore = balance(jdbc, "bob-cny");
            holder.setAutoCommit(false);
            holder.createStatement().execute("SELECT 1 FROM accounts WHERE account_id = 'bob-cny' FOR UPDATE");

            LedgerCommands.send(producer, "h1", new TransferFunds(5_00L, "CNY", "bob", new OwnAccount("bob-cny")), "/transfer");

            await().atMost(Duration.ofSeconds(60)).until(() -> !published(results, "h1/transfer").isEmpty());
            assertThat(published(results, "h1/transfer")).singleElement().satisfies(answer -> {
                assertThat(answer.getOutcome()).isEqualTo(LedgerOutcome.TRANSFER_FAILED);
                assertThat(answer.getReason()).isEqualTo("LEDGER_UNAVAILABLE");
            });
            holder.rollback();
            assertThat(journalEntries(jdbc, "h1/transfer")).isZero();
            assertThat(balance(jdbc, "bob-cny")).isEqualTo(bobBefore);
        } finally {
            dataSource.close();
        }
    }

    /**
     * The database commits a transfer and its answer is lost on the way back (the connection broke
     * while committing); then it stays unreachable past the transfer's give-up time. Nothing is said
     * of the transfer while the database cannot be asked. Once it is back, the give-up finds the
     * result the database stored and that goes out — TRANSFERRED, as the money moved — and the
     * journal has the transfer once.
     */
    @Test
    void aTransferWhoseCommitMayHaveHappenedIsAnsweredWithTheStoredResultNotAFailure() {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results");
             ConfigurableApplicationContext adapter = adapter(CommitAnswerLost.class)) {
            LedgerCommands.send(producer, "l1", new FreezeFunds("alice", "alice-cny", 10_00L, "CNY"), "/freeze");
            await().atMost(Duration.ofSeconds(30)).until(() -> results.records("ledger-results", "l1").size() == 1);

            LedgerCommands.send(producer, "l1", new TransferFunds(10_00L, "CNY", "carol", new OwnAccount("carol-cny")), "/transfer");
            awaitOverdueUnanswered(adapter, results, "l1/transfer");

            UnreachableDatabase.reachable.set(true);
            await().atMost(Duration.ofSeconds(30)).until(() -> !published(results, "l1/transfer").isEmpty());
            assertThat(published(results, "l1/transfer")).extracting(LedgerResult::getOutcome)
                    .containsExactly(LedgerOutcome.TRANSFERRED);
            assertThat(journalEntries(jdbc, "l1/transfer")).isEqualTo(2L);
        } finally {
            dataSource.close();
        }
    }

    /**
     * Issue #16, path 1. The database is unreachable for longer than a transfer's give-up time, and
     * the adapter dies before it commits the transfer's offset; the database comes back and another
     * adapter gets the transfer again. Nothing may have been said of the transfer while the ledger
     * could not be asked — a TRANSFER_FAILED then would be contradicted by the money the redelivery
     * moves — and what is said afterwards is what the database holds.
     */
    @Test
    void aTransferNeverReportsAFailureForMoneyThatMovedAfterItsAdapterDiedWaitingForTheLedger() {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results")) {
            long bobBefore;
            try (ConfigurableApplicationContext dying = adapter(UnreachableDatabase.class)) {
                LedgerCommands.send(producer, "p1", new FreezeFunds("alice", "alice-cny", 40_00L, "CNY"), "/freeze");
                await().atMost(Duration.ofSeconds(30)).until(() -> results.records("ledger-results", "p1").size() == 1);
                bobBefore = balance(jdbc, "bob-cny");

                UnreachableDatabase.reachable.set(false);
                LedgerCommands.send(producer, "p1", new TransferFunds(40_00L, "CNY", "bob", new OwnAccount("bob-cny")), "/transfer");
                awaitOverdueUnanswered(dying, results, "p1/transfer");
            }
            UnreachableDatabase.reachable.set(true);

            try (ConfigurableApplicationContext restarted = adapter()) {
                await().atMost(Duration.ofSeconds(60)).until(() -> !published(results, "p1/transfer").isEmpty());
            }

            // The new adapter never saw the outage, so it applied the transfer: the one outcome says so.
            assertThat(published(results, "p1/transfer")).extracting(LedgerResult::getOutcome)
                    .containsExactly(LedgerOutcome.TRANSFERRED);
            assertThat(jdbc.sql("SELECT state FROM holds WHERE voucher_id = 'p1'").query(String.class).single())
                    .isEqualTo("CAPTURED");
            assertThat(journalEntries(jdbc, "p1/transfer")).isEqualTo(2L);
            assertThat(balance(jdbc, "bob-cny")).isEqualTo(bobBefore + 40_00L);
        } finally {
            dataSource.close();
        }
    }

    private ConfigurableApplicationContext adapter(Class<?>... extra) {
        return adapter(extra, new String[0]);
    }

    private ConfigurableApplicationContext adapter(Class<?>[] extra, String... settings) {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--management.server.port=0",
                "--spring.datasource.url=" + database, "--spring.datasource.username=postgres",
                "--spring.datasource.password=postgres",
                "--spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                "--ledger.retry.max-interval=200ms", "--ledger.retry.transfer-give-up-after=2s",
                "--ledger.retry.statement-timeout=1s"));
        args.addAll(List.of(settings));
        return LedgerAdapterApplication.builder().sources(extra).profiles("demo").run(args.toArray(String[]::new));
    }

    /**
     * Commands each slow but applied (a database short of I/O): a poll of them outlasted {@code max.poll.interval.ms},
     * the instance was put out of its group, and every command of the poll was answered again. The poll stops once
     * its budget is spent, and goes on in the next.
     */
    @Test
    void slowCommandsStopAPollAtItsBudgetAndAreEachAnsweredOnce() {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        jdbc.sql("CREATE FUNCTION a_slow_disk() RETURNS trigger LANGUAGE plpgsql AS "
                + "$$ BEGIN PERFORM pg_sleep(0.6); RETURN NEW; END $$").update();
        jdbc.sql("CREATE TRIGGER commands_on_a_slow_disk BEFORE INSERT ON processed_commands FOR EACH ROW "
                + "EXECUTE FUNCTION a_slow_disk()").update();
        List<String> vouchers = IntStream.range(0, 24).mapToObj(i -> "slow-" + i).toList();
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results")) {
            // Twenty-four commands of 0.6 s each: one poll of them takes 14 s, past the 10 s the consumer is given.
            vouchers.forEach(voucher -> LedgerCommands.send(producer, voucher,
                    new FreezeFunds("alice", "alice-cny", 1L, "CNY"), "/freeze"));
            try (ConfigurableApplicationContext adapter = adapter(new Class<?>[0], "--ledger.listener-concurrency=1",
                    "--ledger.retry.poll-budget=1s", "--ledger.retry.publish-timeout=1s",
                    "--spring.kafka.consumer.max-poll-interval=10s")) {
                await().atMost(Duration.ofSeconds(60)).until(() -> vouchers.stream()
                        .allMatch(voucher -> !published(results, voucher + "/freeze").isEmpty()));
                // One more command on every partition, answered after anything the poll's commands were answered again with.
                List<String> after = List.of("after-0", "after-1", "after-2", "after-3", "after-4", "after-5");
                after.forEach(voucher -> LedgerCommands.send(producer, voucher,
                        new FreezeFunds("alice", "alice-cny", 1L, "CNY"), "/freeze"));
                await().atMost(Duration.ofSeconds(60)).until(() -> after.stream()
                        .allMatch(voucher -> !published(results, voucher + "/freeze").isEmpty()));
            }
            assertThat(vouchers).allSatisfy(voucher -> assertThat(published(results, voucher + "/freeze"))
                    .as("answered once: the instance stayed in its group").hasSize(1));
        } finally {
            jdbc.sql("DROP TRIGGER commands_on_a_slow_disk ON processed_commands").update();
            dataSource.close();
        }
    }

    @Test
    void anAdapterWhosePollCouldOutlastMaxPollIntervalDoesNotStart() {
        // 5 s + 2 × 1 s + 1 s + 0.2 s: past 8 s only with the budget counted.
        assertThatThrownBy(() -> adapter(new Class<?>[0], "--ledger.retry.poll-budget=5s",
                "--ledger.retry.publish-timeout=1s", "--spring.kafka.consumer.max-poll-interval=8s").close())
                .rootCause().hasMessageContaining("ledger.retry.poll-budget (PT5S)")
                .hasMessageContaining("max.poll.interval.ms (PT8S)");
    }

    private KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer());
    }


    /** The results published for one command, in order. */
    private static List<LedgerResult> published(TopicReader results, String commandId) {
        String voucherId = commandId.substring(0, commandId.indexOf('/'));
        return results.values("ledger-results", voucherId, AvroSerde.of(LedgerResult.class)::decode).stream()
                .filter(result -> result.getCommandId().equals(commandId)).toList();
    }

    /**
     * Waits until the adapter counts the transfer as overdue — or until it answers it, so that a
     * wrong answer fails here rather than as a timeout — and checks that nothing was answered.
     */
    private static void awaitOverdueUnanswered(ConfigurableApplicationContext adapter, TopicReader results,
                                               String commandId) {
        await().atMost(Duration.ofSeconds(30)).until(() ->
                overdueTransfers(adapter) >= 1 || !published(results, commandId).isEmpty());
        assertThat(published(results, commandId))
                .as("no outcome while the ledger cannot be asked, past the give-up time").isEmpty();
    }

    /** What the adapter counts as transfers waiting on the ledger past their give-up time (none if not counted). */
    private static double overdueTransfers(ConfigurableApplicationContext adapter) {
        Gauge overdue = adapter.getBean(MeterRegistry.class).find("ledger.transfers.overdue").gauge();
        return overdue == null ? 0 : overdue.value();
    }

    private static long journalEntries(JdbcClient jdbc, String commandId) {
        return jdbc.sql("SELECT count(*) FROM journal_entries e JOIN journal_transactions t USING (transaction_id) "
                + "WHERE t.command_id = :command").param("command", commandId).query(Long.class).single();
    }

    private static String storedOutcome(JdbcClient jdbc, String commandId) {
        return jdbc.sql("SELECT outcome || '/' || coalesce(reason, '') FROM processed_commands WHERE command_id = :command")
                .param("command", commandId).query(String.class).single();
    }

    private static long balance(JdbcClient jdbc, String accountId) {
        return jdbc.sql("SELECT balance_minor FROM accounts WHERE account_id = :id").param("id", accountId)
                .query(Long.class).single();
    }

    /** An adapter whose process dies at the worst moment: a transfer's result is lost on its way out. */
    @Configuration(proxyBeanMethods = false)
    static class DiesBeforePublishing {

        @Bean
        @Primary
        ResultPublisher diesBeforePublishing(KafkaTemplate<String, byte[]> kafka, Ledger ledger,
                                             LedgerProperties properties) {
            return new ResultPublisher(kafka, ledger, properties) {
                @Override
                public Sending send(Applied applied) {
                    if (applied.commandId().endsWith("/transfer")) {
                        throw new IllegalStateException("process died before publishing " + applied.commandId());
                    }
                    return super.send(applied);
                }
            };
        }
    }

    /**
     * A database that cannot be reached while the test says so: the ledger gets no connection, as when the
     * server is down or the network between. The test's own reads use a pool of their own.
     */
    @Configuration(proxyBeanMethods = false)
    static class UnreachableDatabase {

        static final AtomicBoolean reachable = new AtomicBoolean(true);
        static final AtomicInteger failures = new AtomicInteger();

        @Bean
        @Primary
        Ledger ledgerBehindASwitch(DataSource dataSource, BankRules bankRules) {
            return new Ledger(JdbcClient.create(new SwitchedDataSource(dataSource)), bankRules.zone(), Clock.systemUTC());
        }
    }

    /** The real pool, except that no connection is had while {@link UnreachableDatabase#reachable} is false. */
    static class SwitchedDataSource extends DelegatingDataSource {

        SwitchedDataSource(DataSource real) {
            super(real);
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (!UnreachableDatabase.reachable.get()) {
                UnreachableDatabase.failures.incrementAndGet();
                throw new SQLTransientConnectionException("database unreachable (simulated)", "08001");
            }
            return super.getConnection();
        }
    }

    /**
     * A database that commits the first transfer and then cannot be reached: the answer to the call, sent
     * after its commit, is lost on its way back, and every attempt after it fails until the test sets
     * {@link UnreachableDatabase#reachable} again.
     */
    @Configuration(proxyBeanMethods = false)
    static class CommitAnswerLost {

        @Bean
        @Primary
        Ledger ledgerThatLosesACommitAnswer(DataSource dataSource, BankRules bankRules) {
            AtomicBoolean answerLost = new AtomicBoolean();
            AtomicBoolean loseNextAnswer = new AtomicBoolean();
            DataSource connectionBreaksAfterTheCall = new SwitchedDataSource(dataSource) {
                @Override
                public Connection getConnection() throws SQLException {
                    return losingAnswers(super.getConnection(), loseNextAnswer);
                }
            };
            return new Ledger(JdbcClient.create(connectionBreaksAfterTheCall), bankRules.zone(), Clock.systemUTC()) {
                @Override
                public Applied apply(io.qrvoucher.ledger.core.LedgerCommand command) {
                    if (command.commandId().endsWith("/transfer") && answerLost.compareAndSet(false, true)) {
                        loseNextAnswer.set(true);
                    }
                    return super.apply(command);
                }
            };
        }

        /** The connection, whose statements are run and committed, and whose next answer is then lost if asked. */
        private static Connection losingAnswers(Connection real, AtomicBoolean loseNextAnswer) {
            return proxy(Connection.class, real, (method, args) -> {
                Object result = method.invoke(real, args);
                return result instanceof PreparedStatement statement
                        ? proxy(PreparedStatement.class, statement, (call, callArgs) -> {
                            Object answer = call.invoke(statement, callArgs);
                            if (call.getName().startsWith("execute") && loseNextAnswer.getAndSet(false)) {
                                UnreachableDatabase.reachable.set(false);
                                throw new SQLNonTransientConnectionException("connection lost after the commit (simulated)",
                                        "08006");
                            }
                            return answer;
                        })
                        : result;
            });
        }

        private interface Invocation {
            Object proceed(Method method, Object[] args) throws Throwable;
        }

        private static <T> T proxy(Class<T> type, T real, Invocation invocation) {
            return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (self, method, args) -> {
                try {
                    return invocation.proceed(method, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }));
        }
    }
}
