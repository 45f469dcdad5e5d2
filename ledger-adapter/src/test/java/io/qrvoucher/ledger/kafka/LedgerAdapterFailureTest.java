package io.qrvoucher.ledger.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.kafka.core.KafkaTemplate;

import com.zaxxer.hikari.HikariDataSource;

import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.TestDatabases;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.schemas.AvroSerde;

/** The adapter when its process dies or its database is unreachable, on a real broker and PostgreSQL. */
class LedgerAdapterFailureTest {

    private static TestBroker broker;
    private static String database;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(3, "ledger-commands", "ledger-results", "account-snapshots", "ledger-dead-letters");
        database = TestDatabases.newLedgerDatabase();
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
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results")) {
            try (ConfigurableApplicationContext dying = adapter(DiesBeforePublishing.class)) {
                send(producer, "c1", new FreezeFunds("alice", "alice-cny", 100_00L, "CNY"), "/freeze");
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        jdbc.sql("SELECT count(*) FROM processed_commands WHERE command_id = 'c1/freeze'")
                                .query(Long.class).single() == 1L);
                send(producer, "c1", new TransferFunds(60_00L, "CNY", "bob", new OwnAccount("bob-cny")), "/transfer");
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
                    .query(Long.class).single()).isEqualTo(560_00L);
        } finally {
            dataSource.close();
        }
    }

    /**
     * While the database is unreachable a freeze waits for it, however long; a transfer gives up after
     * its configured time and is answered TRANSFER_FAILED, having changed nothing.
     */
    @Test
    void aTransferGivesUpOnAnUnreachableLedgerWhileAFreezeWaitsForIt() {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results");
             ConfigurableApplicationContext adapter = adapter(UnreachableLedger.class)) {
            send(producer, "u1", new FreezeFunds("alice", "alice-cny", 100_00L, "CNY"), "/freeze");
            await().atMost(Duration.ofSeconds(30)).until(() -> UnreachableLedger.failures.get() >= 3);
            assertThat(results.records("ledger-results", "u1")).as("the freeze is still waiting").isEmpty();

            UnreachableLedger.reachable.set(true);
            await().atMost(Duration.ofSeconds(30)).until(() -> results.records("ledger-results", "u1").size() == 1);

            UnreachableLedger.reachable.set(false);
            send(producer, "u1", new TransferFunds(100_00L, "CNY", "bob", new OwnAccount("bob-cny")), "/transfer");
            await().atMost(Duration.ofSeconds(30)).until(() -> results.records("ledger-results", "u1").size() == 2);

            LedgerResult failed = results.values("ledger-results", "u1", AvroSerde.of(LedgerResult.class)::decode).get(1);
            assertThat(failed.getOutcome()).isEqualTo(LedgerOutcome.TRANSFER_FAILED);
            assertThat(failed.getReason()).isEqualTo("LEDGER_UNAVAILABLE");
            assertThat(jdbc.sql("SELECT state FROM holds WHERE voucher_id = 'u1'").query(String.class).single())
                    .as("the hold stays for the voucher to release").isEqualTo("HELD");
        } finally {
            UnreachableLedger.reachable.set(true);
            dataSource.close();
        }
    }

    /**
     * The database commits a transfer and its answer is lost on the way back (the connection broke
     * while committing); then it stays unreachable well past the transfer's give-up time. The transfer
     * is not given up, for the money may have moved: once the database is back, the result it stored
     * goes out, and the journal has the transfer once.
     */
    @Test
    void aTransferWhoseCommitMayHaveHappenedIsNotGivenUp() {
        HikariDataSource dataSource = TestDatabases.dataSource(database);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try (KafkaProducer<String, byte[]> producer = producer();
             TopicReader results = new TopicReader(broker.bootstrapServers(), "ledger-results");
             ConfigurableApplicationContext adapter = adapter(CommitAnswerLost.class)) {
            send(producer, "l1", new FreezeFunds("alice", "alice-cny", 10_00L, "CNY"), "/freeze");
            await().atMost(Duration.ofSeconds(30)).until(() -> results.records("ledger-results", "l1").size() == 1);

            send(producer, "l1", new TransferFunds(10_00L, "CNY", "carol", new OwnAccount("carol-cny")), "/transfer");
            // 200 ms apart, twenty attempts are twice the 2 s after which an unreachable transfer gives up.
            await().atMost(Duration.ofSeconds(30)).until(() -> CommitAnswerLost.failures.get() >= 20);
            assertThat(results.records("ledger-results", "l1")).as("no TRANSFER_FAILED while the money may have moved")
                    .hasSize(1);

            CommitAnswerLost.reachable.set(true);
            await().atMost(Duration.ofSeconds(30)).until(() -> results.records("ledger-results", "l1").size() == 2);
            assertThat(results.values("ledger-results", "l1", AvroSerde.of(LedgerResult.class)::decode).get(1).getOutcome())
                    .isEqualTo(LedgerOutcome.TRANSFERRED);
            assertThat(jdbc.sql("SELECT count(*) FROM journal_entries e JOIN journal_transactions t USING (transaction_id) "
                    + "WHERE t.command_id = 'l1/transfer'").query(Long.class).single()).isEqualTo(2L);
        } finally {
            CommitAnswerLost.reachable.set(true);
            dataSource.close();
        }
    }

    private ConfigurableApplicationContext adapter(Class<?>... extra) {
        return LedgerAdapterApplication.builder()
                .sources(extra)
                .profiles("demo")
                .run("--server.port=0", "--spring.datasource.url=" + database, "--spring.datasource.username=postgres",
                        "--spring.datasource.password=postgres",
                        "--spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                        "--ledger.retry.max-interval=200ms", "--ledger.retry.transfer-give-up-after=2s");
    }

    private KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<String, byte[]> producer, String voucherId, Object body, String suffix) {
        producer.send(new ProducerRecord<>("ledger-commands", voucherId, AvroSerde.of(LedgerCommand.class)
                .encode(new LedgerCommand(voucherId + suffix, voucherId, Instant.now(), body))));
        producer.flush();
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
                public void publish(Applied applied, Optional<String> trace) {
                    if (applied.commandId().endsWith("/transfer")) {
                        throw new IllegalStateException("process died before publishing " + applied.commandId());
                    }
                    super.publish(applied, trace);
                }
            };
        }
    }

    /** A ledger whose database connection fails until the test says it is back. */
    @Configuration(proxyBeanMethods = false)
    static class UnreachableLedger {

        static final AtomicBoolean reachable = new AtomicBoolean(false);
        static final AtomicInteger failures = new AtomicInteger();

        @Bean
        @Primary
        Ledger unreachableLedger(DataSource dataSource, PlatformTransactionManager transactions,
                                 LedgerProperties properties) {
            return new Ledger(JdbcClient.create(dataSource), new TransactionTemplate(transactions),
                    properties.bankZone(), Clock.systemUTC()) {
                @Override
                public Applied apply(io.qrvoucher.ledger.core.LedgerCommand command) {
                    if (!reachable.get()) {
                        failures.incrementAndGet();
                        throw new CannotGetJdbcConnectionException("database unreachable (simulated)");
                    }
                    return super.apply(command);
                }
            };
        }
    }

    /**
     * A database that commits the first transfer and then cannot be reached: the commit's answer is
     * lost on its way back, and every attempt after it fails until the test says the database is back.
     */
    @Configuration(proxyBeanMethods = false)
    static class CommitAnswerLost {

        static final AtomicBoolean reachable = new AtomicBoolean(true);
        static final AtomicInteger failures = new AtomicInteger();
        private static final AtomicBoolean answerLost = new AtomicBoolean();

        @Bean
        @Primary
        Ledger ledgerThatLosesACommitAnswer(DataSource dataSource, PlatformTransactionManager transactions,
                                            LedgerProperties properties) {
            AtomicBoolean loseNextAnswer = new AtomicBoolean();
            PlatformTransactionManager connectionBreaksAtCommit = new PlatformTransactionManager() {
                @Override
                public TransactionStatus getTransaction(TransactionDefinition definition) {
                    if (!reachable.get()) {
                        failures.incrementAndGet();
                        throw new CannotCreateTransactionException("database unreachable (simulated)");
                    }
                    return transactions.getTransaction(definition);
                }

                @Override
                public void commit(TransactionStatus status) {
                    transactions.commit(status);
                    if (loseNextAnswer.getAndSet(false)) {
                        reachable.set(false);
                        throw new TransactionSystemException("connection lost while committing (simulated)");
                    }
                }

                @Override
                public void rollback(TransactionStatus status) {
                    transactions.rollback(status);
                }
            };
            return new Ledger(JdbcClient.create(dataSource), new TransactionTemplate(connectionBreaksAtCommit),
                    properties.bankZone(), Clock.systemUTC()) {
                @Override
                public Applied apply(io.qrvoucher.ledger.core.LedgerCommand command) {
                    if (command.commandId().endsWith("/transfer") && answerLost.compareAndSet(false, true)) {
                        loseNextAnswer.set(true);
                    }
                    return super.apply(command);
                }
            };
        }
    }
}
