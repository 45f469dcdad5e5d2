package io.qrvoucher.ledger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import com.zaxxer.hikari.HikariDataSource;

import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.ledger.LedgerDatabases;
import io.qrvoucher.ledger.core.Applied.Outcome;
import io.qrvoucher.ledger.core.LedgerCommand.ExternalAccount;
import io.qrvoucher.ledger.core.LedgerCommand.Freeze;
import io.qrvoucher.ledger.core.LedgerCommand.OwnAccount;
import io.qrvoucher.ledger.core.LedgerCommand.Release;
import io.qrvoucher.ledger.core.LedgerCommand.Transfer;
import io.qrvoucher.network.TcpRelay;

/** The ledger against a real PostgreSQL: every command, every refusal, concurrency and the books. */
class LedgerTest {

    private static final ZoneId BANK_ZONE = ZoneId.of("Asia/Shanghai");
    private static final long DAILY_LIMIT = 5_000_00L;

    private HikariDataSource dataSource;
    private JdbcClient jdbc;
    private Ledger ledger;
    private AccountOpening opening;

    @BeforeEach
    void openBank() {
        dataSource = TestDatabases.dataSource(LedgerDatabases.newLedger());
        jdbc = JdbcClient.create(dataSource);
        TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        ledger = new Ledger(jdbc, BANK_ZONE,
                Clock.fixed(Instant.parse("2026-11-26T02:00:00Z"), ZoneOffset.UTC));
        opening = new AccountOpening(jdbc, transactions);
        opening.openBankAccounts("CNY");
        opening.openCustomerAccount("alice-cny", "alice", "CNY", 10_000_00L, DAILY_LIMIT);
        opening.openCustomerAccount("bob-cny", "bob", "CNY", 500_00L, DAILY_LIMIT);
        opening.openCustomerAccount("carol-cny", "carol", "CNY", 0L, DAILY_LIMIT);
    }

    @AfterEach
    void closeBank() {
        dataSource.close();
    }

    /** A command's function is one statement: on a pool that does not commit it, its answer would outlive its work. */
    @Test
    void aPoolWhoseConnectionsDoNotCommitEachStatementIsRefusedForTheLedger() {
        try (HikariDataSource noAutocommit = new HikariDataSource()) {
            noAutocommit.setJdbcUrl(dataSource.getJdbcUrl());
            noAutocommit.setUsername(dataSource.getUsername());
            noAutocommit.setPassword(dataSource.getPassword());
            noAutocommit.setAutoCommit(false);

            assertThatThrownBy(() -> Ledger.onAutocommit(noAutocommit, BANK_ZONE, Clock.systemUTC(), Duration.ofSeconds(30)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("autocommit");
        }
        Ledger onThePoolsDefault = Ledger.onAutocommit(dataSource, BANK_ZONE, Clock.systemUTC(), Duration.ofSeconds(30));
        assertThat(onThePoolsDefault.account("alice-cny")).isPresent();
    }

    /**
     * A statement whose database goes silent (its host gone, a firewall dropping the flow) cannot be cancelled: the
     * cancel is lost the same way. It waited for the system's TCP timeouts, minutes to hours, the listener's thread
     * with it; its connection gives up after twice the statement timeout, and it fails like an unreachable database
     * (which the listener retries, and gives a transfer up after its give-up time).
     */
    @Test
    void aCommandWhoseDatabaseGoesSilentFailsInsteadOfWaitingForever() throws Exception {
        Throwable failure = failureOnceTheDatabaseGoesSilent("ledger_freeze", throughProxy -> {
            // Long enough that the freeze is not cancelled before the database goes silent: its cancel would get through.
            Ledger silenced = Ledger.onAutocommit(throughProxy, BANK_ZONE, Clock.systemUTC(), Duration.ofSeconds(5));
            return () -> silenced.apply(new Freeze("s1/freeze", "s1", "alice", "alice-cny", 1_00L, "CNY"));
        });
        assertThat(failure).isInstanceOf(DataAccessResourceFailureException.class)
                .hasRootCauseInstanceOf(SocketTimeoutException.class);
    }

    /**
     * An operator's closing, a transaction of its own, waited as long as a command did: its request, its thread and
     * its connection of the pool for good, and a few such left the commands no connection.
     */
    @Test
    void aClosingWhoseDatabaseGoesSilentFailsInsteadOfWaitingForever() throws Exception {
        failureOnceTheDatabaseGoesSilent("FOR UPDATE", throughProxy -> {
            BoundedStatements statements = BoundedStatements.on(throughProxy, Duration.ofSeconds(5));
            AccountOpening silenced = new AccountOpening(statements.jdbcClient(), statements.transactions());
            return () -> silenced.closeCustomerAccount("alice-cny");
        });
    }

    /**
     * Runs the work, made on a pool whose database can go silent, while alice's account is held here, so that it is
     * in flight (waiting on the account, its statement's text holding {@code waiting}) when the database goes silent:
     * it fails as the database's silence does (answered 503, retried), after twice its statement timeout: how.
     */
    private Throwable failureOnceTheDatabaseGoesSilent(String waiting, Function<DataSource, Callable<?>> work)
            throws Exception {
        int port = TestDatabases.server().getPort();
        ExecutorService caller = Executors.newSingleThreadExecutor();
        TcpRelay relay = TcpRelay.start(new InetSocketAddress("localhost", port));
        HikariDataSource throughProxy = TestDatabases.dataSource(
                dataSource.getJdbcUrl().replace("localhost:" + port, "127.0.0.1:" + relay.port()));
        throughProxy.setMinimumIdle(1);
        throughProxy.setMaximumPoolSize(2);
        try (Connection holder = dataSource.getConnection()) {
            Callable<?> silenced = work.apply(throughProxy);
            holder.setAutoCommit(false);
            holder.createStatement().execute("SELECT 1 FROM accounts WHERE account_id = 'alice-cny' FOR UPDATE");
            Future<?> inFlight = caller.submit(silenced);
            await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                            + "AND query LIKE :waiting").param("waiting", "%" + waiting + "%").query(Long.class).single() >= 1L);
            relay.cut();

            Throwable failure = catchThrowable(() -> inFlight.get(60, TimeUnit.SECONDS));
            assertThat(failure).isInstanceOf(ExecutionException.class);
            assertThat(DatabaseSilence.is(failure.getCause())).as(failure.getCause().toString()).isTrue();
            holder.rollback();
            return failure.getCause();
        } finally {
            // The relay first: the pool's connections would wait on it as they close.
            relay.close();
            throughProxy.close();
            caller.shutdownNow();
        }
    }

    /** Under a Turkish default locale "INR".toLowerCase() is "ınr": the bank's accounts would be named twice over. */
    @Test
    void theBanksAccountIdsDoNotDependOnTheDefaultLocale() {
        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        try {
            assertThat(AccountOpening.capitalAccount("INR")).isEqualTo("capital-inr");
            assertThat(AccountOpening.clearingAccount("INR")).endsWith("-inr");
        } finally {
            Locale.setDefault(before);
        }
    }

    @Nested
    class Opening {

        @Test
        void anOpeningBalanceComesFromTheCapitalAccountInOneBalancedTransaction() {
            AccountOpening.Opening opened = opening.openCustomerAccount("dora-eur", "dora", "EUR", 250_00L, DAILY_LIMIT);

            assertThat(opened.outcome()).isEqualTo(AccountOpening.Outcome.OPENED);
            assertThat(ledger.account("dora-eur").orElseThrow().balanceMinor()).isEqualTo(250_00L);
            assertThat(ledger.account("capital-eur").orElseThrow().balanceMinor()).isEqualTo(-250_00L);
            assertThat(ledger.account("clearing-eur")).as("other banks are reachable in the new currency").isPresent();
            assertThat(jdbc.sql("""
                    SELECT e.account_id || ' ' || e.amount_minor || ' ' || e.currency FROM journal_entries e
                    JOIN journal_transactions t ON t.transaction_id = e.transaction_id
                    WHERE t.command_id = 'opening/dora-eur' AND t.kind = 'OPENING' ORDER BY e.amount_minor""")
                    .query(String.class).list()).containsExactly("capital-eur -25000 EUR", "dora-eur 25000 EUR");
        }

        @Test
        void openingAnAccountAgainOnTheSameTermsChangesNothingAndOnOtherTermsIsRefused() {
            long totalBefore = totalOfAllBalances();

            assertThat(opening.openCustomerAccount("alice-cny", "alice", "CNY", 10_000_00L, DAILY_LIMIT).outcome())
                    .isEqualTo(AccountOpening.Outcome.ALREADY_OPEN);
            AccountOpening.Opening other = opening.openCustomerAccount("alice-cny", "mallory", "USD", 1_000_000_00L, 0);

            assertThat(other.outcome()).isEqualTo(AccountOpening.Outcome.OPEN_ON_OTHER_TERMS);
            assertThat(other.existing()).isEqualTo(new AccountOpening.Terms("alice-cny", "alice", "CNY", 10_000_00L, DAILY_LIMIT));
            assertThat(ledger.account("alice-cny").orElseThrow().balanceMinor()).isEqualTo(10_000_00L);
            assertThat(ledger.account("capital-usd")).as("a refused opening leaves no trace").isEmpty();
            assertThat(totalOfAllBalances()).isEqualTo(totalBefore);
            assertThat(jdbc.sql("SELECT count(*) FROM journal_transactions WHERE command_id = 'opening/alice-cny'")
                    .query(Long.class).single()).isEqualTo(1L);
        }

        @Test
        void aCustomersAccountCannotTakeTheIdOfTheBanksOwn() {
            assertThatThrownBy(() -> opening.openCustomerAccount("capital-usd", "mallory", "EUR", 1_00L, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(ledger.account("capital-usd")).isEmpty();
        }
    }

    @Nested
    class Freezing {

        @Test
        void aFreezeHoldsTheAmountAndLowersTheAvailableBalance() {
            Applied applied = ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));

            assertThat(applied.outcome()).isEqualTo(Outcome.FROZEN);
            assertThat(applied.affectedAccounts()).containsExactly("alice-cny");
            Account alice = ledger.account("alice-cny").orElseThrow();
            assertThat(alice.balanceMinor()).isEqualTo(10_000_00L);
            assertThat(alice.heldMinor()).isEqualTo(300_00L);
            assertThat(alice.availableMinor()).isEqualTo(9_700_00L);
        }

        @Test
        void eachFailedCheckRefusesWithItsOwnReasonAndHoldsNothing() {
            opening.openCustomerAccount("dora-cny", "dora", "CNY", 100_00L, DAILY_LIMIT);
            opening.restrict("dora-cny", "BLOCKED", true);
            opening.openCustomerAccount("erin-cny", "erin", "CNY", 100_00L, DAILY_LIMIT);
            opening.restrict("erin-cny", "ACTIVE", false);
            opening.openCustomerAccount("alice-usd", "alice", "USD", 100_00L, DAILY_LIMIT);

            assertRefused(freeze("r1", "alice", "nobody-cny", 1), "ACCOUNT_NOT_FOUND");
            assertRefused(freeze("r2", "mallory", "alice-cny", 1), "NOT_ACCOUNT_OWNER");
            assertRefused(freeze("r3", "dora", "dora-cny", 1), "ACCOUNT_NOT_ACTIVE");
            assertRefused(freeze("r4", "erin", "erin-cny", 1), "OUTWARD_TRANSFERS_NOT_ALLOWED");
            assertRefused(new Freeze("r5/freeze", "r5", "alice", "alice-usd", 1, "CNY"), "CURRENCY_MISMATCH");
            assertRefused(freeze("r6", "bob", "bob-cny", 500_01), "INSUFFICIENT_FUNDS");
            assertRefused(freeze("r7", "alice", "alice-cny", DAILY_LIMIT + 1), "DAILY_LIMIT_EXCEEDED");
            assertRefused(freeze("r8", "alice", "alice-cny", 0), "INVALID_COMMAND");
            assertRefused(freeze("r9", "alice", "capital-cny", 1), "NOT_ACCOUNT_OWNER");

            assertThat(jdbc.sql("SELECT count(*) FROM holds").query(Long.class).single()).isZero();
            assertThat(ledger.account("alice-cny").orElseThrow().heldMinor()).isZero();
        }

        @Test
        void theDailyOutwardLimitCountsWhatIsHeldAndCapturedToday() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 3_000_00));
            ledger.apply(transfer("v1", 1_000_00, "bob", new OwnAccount("bob-cny")));
            ledger.apply(freeze("v2", "alice", "alice-cny", 1_000_00));
            ledger.apply(freeze("v3", "alice", "alice-cny", 500_00));
            ledger.apply(new Release("v3/release", "v3"));
            // captured 1,000.00 + held 1,000.00 today; the released 500.00 does not count

            assertThat(ledger.apply(freeze("v4", "alice", "alice-cny", 3_000_00)).outcome()).isEqualTo(Outcome.FROZEN);
            assertRefused(freeze("v5", "alice", "alice-cny", 1), "DAILY_LIMIT_EXCEEDED");
        }

        @Test
        void aHoldFromYesterdaySettledTodayGivesBackYesterdaysLimitNotTodays() {
            Ledger yesterday = new Ledger(jdbc, BANK_ZONE, Clock.fixed(Instant.parse("2026-11-25T02:00:00Z"), ZoneOffset.UTC));
            yesterday.apply(freeze("v1", "alice", "alice-cny", 2_000_00));
            yesterday.apply(freeze("v2", "alice", "alice-cny", 1_000_00));
            ledger.apply(freeze("v3", "alice", "alice-cny", 4_000_00));

            ledger.apply(new Release("v1/release", "v1"));
            ledger.apply(transfer("v2", 400_00, "bob", new OwnAccount("bob-cny")));

            assertThat(jdbc.sql("SELECT business_date::text, used_minor FROM daily_outward_use ORDER BY business_date")
                    .query((rs, row) -> rs.getString(1) + "=" + rs.getLong(2)).list())
                    .containsExactly("2026-11-25=40000", "2026-11-26=400000");
            assertThat(ledger.apply(freeze("v4", "alice", "alice-cny", 1_000_00)).outcome()).isEqualTo(Outcome.FROZEN);
            assertRefused(freeze("v5", "alice", "alice-cny", 1), "DAILY_LIMIT_EXCEEDED");
        }

        /** Frozen by an adapter from before the daily totals, beside a new one during a rolling upgrade. */
        @Test
        void aHoldTheDailyTotalNeverCountedStillEnds() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 1_000_00));
            ledger.apply(freeze("v2", "alice", "alice-cny", 1_000_00));
            jdbc.sql("DELETE FROM daily_outward_use").update();

            assertThat(ledger.apply(new Release("v1/release", "v1")).outcome()).isEqualTo(Outcome.RELEASED);
            assertThat(ledger.apply(transfer("v2", 400_00, "bob", new OwnAccount("bob-cny"))).outcome())
                    .isEqualTo(Outcome.TRANSFERRED);

            ledger.apply(freeze("v3", "alice", "alice-cny", 1_000_00));
            jdbc.sql("UPDATE daily_outward_use SET used_minor = 10000").update();
            assertThat(ledger.apply(new Release("v3/release", "v3")).outcome()).isEqualTo(Outcome.RELEASED);

            assertThat(jdbc.sql("SELECT count(*) FROM holds WHERE state = 'HELD'").query(Long.class).single()).isZero();
            assertThat(jdbc.sql("SELECT used_minor FROM daily_outward_use").query(Long.class).single()).isZero();
        }

        @Test
        void theBankAvailableBalanceIsExactlyEnough() {
            assertThat(ledger.apply(freeze("v1", "bob", "bob-cny", 500_00)).outcome()).isEqualTo(Outcome.FROZEN);
            assertRefused(freeze("v2", "bob", "bob-cny", 1), "INSUFFICIENT_FUNDS");
        }
    }

    @Nested
    class Transferring {

        @Test
        void aTransferCapturesTheHoldMovesTheAmountAndReleasesTheRest() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));

            Applied applied = ledger.apply(transfer("v1", 120_00, "carol", new OwnAccount("carol-cny")));

            assertThat(applied.outcome()).isEqualTo(Outcome.TRANSFERRED);
            assertThat(applied.transferredMinor()).isEqualTo(120_00L);
            assertThat(applied.releasedMinor()).isEqualTo(180_00L);
            assertThat(applied.affectedAccounts()).containsExactly("alice-cny", "carol-cny");
            Account alice = ledger.account("alice-cny").orElseThrow();
            assertThat(alice.balanceMinor()).isEqualTo(9_880_00L);
            assertThat(alice.heldMinor()).isZero();
            assertThat(ledger.account("carol-cny").orElseThrow().balanceMinor()).isEqualTo(120_00L);
            assertThat(journalEntries("v1/transfer"))
                    .containsExactly("alice-cny:-12000", "carol-cny:12000");
            assertThat(holdState("v1")).isEqualTo("CAPTURED");
        }

        @Test
        void aPayerRedeemingIntoTheHoldsOwnAccountGetsTheHoldBackAndBalancedEntries() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));

            Applied applied = ledger.apply(transfer("v1", 120_00, "alice", new OwnAccount("alice-cny")));

            assertThat(applied.outcome()).isEqualTo(Outcome.TRANSFERRED);
            assertThat(applied.affectedAccounts()).containsExactly("alice-cny");
            Account alice = ledger.account("alice-cny").orElseThrow();
            assertThat(alice.balanceMinor()).as("paid to itself").isEqualTo(10_000_00L);
            assertThat(alice.heldMinor()).isZero();
            assertThat(journalEntries("v1/transfer"))
                    .containsExactly("alice-cny:-12000", "alice-cny:12000");
            assertThat(holdState("v1")).isEqualTo("CAPTURED");
        }

        @Test
        void aTransferToAnotherBankGoesThroughClearingWithThePayeesDetailsRecorded() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));

            Applied applied = ledger.apply(transfer("v1", 300_00, "carol", new ExternalAccount("ICBC", "Dan Wu", "6222 0001")));

            assertThat(applied.outcome()).isEqualTo(Outcome.TRANSFERRED);
            assertThat(ledger.account("clearing-cny").orElseThrow().balanceMinor()).isEqualTo(300_00L);
            assertThat(jdbc.sql("""
                    SELECT external_bank || '/' || external_holder_name || '/' || external_account_number
                    FROM journal_transactions WHERE command_id = 'v1/transfer'""").query(String.class).single())
                    .isEqualTo("ICBC/Dan Wu/6222 0001");
        }

        /** A bank has millions of customers' accounts: the clearing account of a currency is found without them. */
        @Test
        void aTransferToAnotherBankFindsTheClearingAccountWithoutReadingTheCustomersAccounts() {
            // Ids that sort before the bank's own, so that no walk of the accounts in id order finds it early.
            jdbc.sql("""
                    INSERT INTO accounts (account_id, owner_customer_id, kind, currency, balance_minor, status)
                    SELECT 'a-' || n || '-cny', 'a-' || n, 'CUSTOMER', 'CNY', 0, 'ACTIVE' FROM generate_series(1, 20000) n""")
                    .update();
            jdbc.sql("ANALYZE accounts").update();
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));

            TransactionTemplate inOneTransaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
            long accountRowsRead = inOneTransaction.execute(status -> {
                String outcome = jdbc.sql("""
                        SELECT outcome FROM ledger_transfer('v1/transfer', 'v1', 30000, 'CNY', 'carol', NULL, 'ICBC',
                                                            'Dan Wu', '6222 0001', now())""").query(String.class).single();
                assertThat(outcome).isEqualTo("TRANSFERRED");
                // This transaction's reads so far, of the accounts table: by scans, and through its indexes.
                return jdbc.sql("""
                        SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables
                        WHERE relname = 'accounts'""").query(Long.class).single();
            });

            assertThat(accountRowsRead).as("rows of accounts read by the transfer").isLessThan(100);
            assertThat(ledger.account("clearing-cny").orElseThrow().balanceMinor()).isEqualTo(300_00L);
        }

        @Test
        void aTransferThatCannotBeAppliedFailsWithItsReasonAndLeavesTheHoldOpen() {
            opening.openCustomerAccount("dora-cny", "dora", "CNY", 0, DAILY_LIMIT);
            opening.restrict("dora-cny", "CLOSED", false);
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));

            // Each attempt is its own command: a command id once answered is answered the same way forever.
            assertFailed(attempt(1, "nohold", 1, "bob", new OwnAccount("bob-cny")), "HOLD_NOT_FOUND");
            assertFailed(attempt(2, "v1", 300_01, "bob", new OwnAccount("bob-cny")), "AMOUNT_EXCEEDS_HOLD");
            assertFailed(attempt(3, "v1", 1, "bob", new OwnAccount("nobody-cny")), "DESTINATION_NOT_FOUND");
            assertFailed(attempt(4, "v1", 1, "dora", new OwnAccount("dora-cny")), "DESTINATION_NOT_ACTIVE");
            assertFailed(attempt(5, "v1", 1, "bob", new OwnAccount("carol-cny")), "DESTINATION_NOT_OWNED");
            assertFailed(new Transfer("v1/transfer-6", "v1", 1, "USD", "bob", new ExternalAccount("B", "N", "1")),
                    "CURRENCY_MISMATCH");
            assertFailed(attempt(7, "v1", 0, "bob", new OwnAccount("bob-cny")), "INVALID_COMMAND");
            assertFailed(attempt(8, "v1", -1, "bob", new OwnAccount("bob-cny")), "INVALID_COMMAND");
            opening.restrict("clearing-cny", "CLOSED", false);
            assertFailed(attempt(9, "v1", 1, "bob", new ExternalAccount("ICBC", "Dan Wu", "6222")),
                    "CLEARING_ACCOUNT_MISSING");

            assertThat(holdState("v1")).isEqualTo("HELD");
            assertThat(ledger.account("alice-cny").orElseThrow().heldMinor()).isEqualTo(300_00L);
        }

        /** Blocked (fraud, a court order) or its outward transfers stopped after its voucher was frozen. */
        @Test
        void aTransferFromAPayerAccountRestrictedSinceTheFreezeFailsAndItsReleaseFreesTheHold() {
            opening.openCustomerAccount("dora-cny", "dora", "CNY", 500_00L, DAILY_LIMIT);
            opening.openCustomerAccount("erin-cny", "erin", "CNY", 500_00L, DAILY_LIMIT);
            ledger.apply(freeze("vd", "dora", "dora-cny", 100_00));
            ledger.apply(freeze("ve", "erin", "erin-cny", 100_00));
            opening.restrict("dora-cny", "BLOCKED", true);
            opening.restrict("erin-cny", "ACTIVE", false);
            long bobBefore = ledger.account("bob-cny").orElseThrow().balanceMinor();

            // One reason for both, which the payee reads too: it says no more of the payer's account than that.
            assertFailed(transfer("vd", 100_00, "bob", new OwnAccount("bob-cny")), "PAYER_ACCOUNT_RESTRICTED");
            assertFailed(transfer("ve", 50_00, "bob", new ExternalAccount("ICBC", "Dan Wu", "6222")),
                    "PAYER_ACCOUNT_RESTRICTED");

            assertThat(ledger.account("dora-cny").orElseThrow().balanceMinor()).isEqualTo(500_00L);
            assertThat(ledger.account("erin-cny").orElseThrow().balanceMinor()).isEqualTo(500_00L);
            assertThat(ledger.account("bob-cny").orElseThrow().balanceMinor()).isEqualTo(bobBefore);
            assertThat(ledger.apply(new LedgerCommand.Release("vd/release", "vd")).outcome()).isEqualTo(Outcome.RELEASED);
            assertThat(ledger.account("dora-cny").orElseThrow().heldMinor()).isZero();
        }

        @Test
        void aReleasedHoldCannotBeTransferred() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));
            ledger.apply(new Release("v1/release", "v1"));

            assertFailed(transfer("v1", 1, "bob", new OwnAccount("bob-cny")), "HOLD_NOT_OPEN");
        }
    }

    @Nested
    class Releasing {

        @Test
        void aReleaseFreesTheWholeHold() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));

            Applied applied = ledger.apply(new Release("v1/release", "v1"));

            assertThat(applied.outcome()).isEqualTo(Outcome.RELEASED);
            assertThat(applied.releasedMinor()).isEqualTo(300_00L);
            assertThat(ledger.account("alice-cny").orElseThrow().heldMinor()).isZero();
            assertThat(holdState("v1")).isEqualTo("RELEASED");
        }

        @Test
        void aReleaseWithoutAnOpenHoldIsRefused() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));
            ledger.apply(transfer("v1", 300_00, "bob", new OwnAccount("bob-cny")));

            assertThat(ledger.apply(new Release("v1/release", "v1")).reason()).isEqualTo("HOLD_ALREADY_CAPTURED");
            assertThat(ledger.apply(new Release("v2/release", "v2")).reason()).isEqualTo("HOLD_NOT_FOUND");
        }
    }

    @Nested
    class Idempotency {

        @Test
        void theSameCommandDeliveredTwiceAppliesOnceAndAnswersTheSame() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));
            Transfer transfer = transfer("v1", 100_00, "bob", new OwnAccount("bob-cny"));

            Applied first = ledger.apply(transfer);
            Applied again = ledger.apply(transfer);

            assertThat(again.redelivered()).isTrue();
            assertThat(again).usingRecursiveComparison().ignoringFields("redelivered").isEqualTo(first);
            assertThat(ledger.account("bob-cny").orElseThrow().balanceMinor()).isEqualTo(600_00L);
            assertThat(jdbc.sql("SELECT count(*) FROM journal_transactions WHERE command_id = 'v1/transfer'")
                    .query(Long.class).single()).isEqualTo(1L);
        }

        @Test
        void aRefusalIsRememberedToo() {
            Freeze tooMuch = freeze("v1", "bob", "bob-cny", 600_00);
            assertRefused(tooMuch, "INSUFFICIENT_FUNDS");
            opening.openCustomerAccount("unused", "x", "CNY", 0, 0);

            Applied again = ledger.apply(tooMuch);

            assertThat(again.redelivered()).isTrue();
            assertThat(again.reason()).isEqualTo("INSUFFICIENT_FUNDS");
        }
    }

    @Nested
    class GivingUpATransfer {

        @Test
        void aGivenUpTransferIsRefusedOnceAndThatRefusalAnswersEveryLaterDelivery() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));
            Transfer transfer = transfer("v1", 100_00, "bob", new OwnAccount("bob-cny"));

            Applied refused = ledger.refuseTransfer(transfer, LedgerRefusal.LEDGER_UNAVAILABLE);
            Applied refusedAgain = ledger.refuseTransfer(transfer, LedgerRefusal.LEDGER_UNAVAILABLE);
            Applied deliveredAgain = ledger.apply(transfer);

            assertThat(refused.outcome()).isEqualTo(Outcome.TRANSFER_FAILED);
            assertThat(refused.reason()).isEqualTo("LEDGER_UNAVAILABLE");
            assertThat(refused.redelivered()).isFalse();
            assertThat(List.of(refusedAgain, deliveredAgain)).allSatisfy(answer -> {
                assertThat(answer.redelivered()).isTrue();
                assertThat(answer).usingRecursiveComparison().ignoringFields("redelivered").isEqualTo(refused);
            });
            assertThat(jdbc.sql("SELECT count(*) FROM processed_commands WHERE command_id = 'v1/transfer'")
                    .query(Long.class).single()).isEqualTo(1L);
            assertThat(holdState("v1")).isEqualTo("HELD");
            assertThat(ledger.account("alice-cny").orElseThrow().heldMinor()).isEqualTo(300_00L);
            assertThat(ledger.account("bob-cny").orElseThrow().balanceMinor()).isEqualTo(500_00L);
            assertThat(jdbc.sql("SELECT count(*) FROM journal_transactions WHERE command_id = 'v1/transfer'")
                    .query(Long.class).single()).isZero();
        }

        @Test
        void aTransferAppliedBeforeIsAnsweredWithItsStoredResultWhenGivenUp() {
            ledger.apply(freeze("v1", "alice", "alice-cny", 300_00));
            Transfer transfer = transfer("v1", 100_00, "bob", new OwnAccount("bob-cny"));
            Applied transferred = ledger.apply(transfer);

            Applied givenUp = ledger.refuseTransfer(transfer, LedgerRefusal.LEDGER_UNAVAILABLE);

            assertThat(givenUp.outcome()).isEqualTo(Outcome.TRANSFERRED);
            assertThat(givenUp.redelivered()).isTrue();
            assertThat(givenUp).usingRecursiveComparison().ignoringFields("redelivered").isEqualTo(transferred);
            assertThat(jdbc.sql("SELECT outcome FROM processed_commands WHERE command_id = 'v1/transfer'")
                    .query(String.class).single()).isEqualTo("TRANSFERRED");
            assertThat(ledger.account("bob-cny").orElseThrow().balanceMinor()).isEqualTo(600_00L);
        }

        @Test
        void aGiveUpRacingTheSameTransferAgreesWithItOnOneOutcome() throws Exception {
            // After a rebalance one instance may still be applying a transfer that another gives up.
            ExecutorService threads = Executors.newFixedThreadPool(2);
            long transferred = 0;
            try {
                for (int voucher = 0; voucher < 100; voucher++) {
                    String id = "g" + voucher;
                    ledger.apply(freeze(id, "alice", "alice-cny", 10_00));
                    Transfer transfer = transfer(id, 10_00, "carol", new OwnAccount("carol-cny"));
                    Future<Applied> applying = threads.submit(() -> ledger.apply(transfer));
                    Future<Applied> givingUp = threads.submit(() -> ledger.refuseTransfer(transfer,
                            LedgerRefusal.LEDGER_UNAVAILABLE));
                    Outcome outcome = applying.get(10, TimeUnit.SECONDS).outcome();

                    assertThat(givingUp.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(outcome);
                    assertThat(holdState(id)).isEqualTo(outcome == Outcome.TRANSFERRED ? "CAPTURED" : "HELD");
                    transferred += outcome == Outcome.TRANSFERRED ? 10_00 : 0;
                }
            } finally {
                threads.shutdown();
            }
            assertThat(ledger.account("carol-cny").orElseThrow().balanceMinor()).isEqualTo(transferred);
        }
    }

    @Nested
    class Concurrency {

        @Test
        void eightThreadsFreezingAgainstOneAccountNeverOverdrawIt() throws Exception {
            // bob has 500.00: at most fifty 10.00 freezes can succeed, whatever the interleaving.
            ExecutorService threads = Executors.newFixedThreadPool(8);
            List<Future<Applied>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Freeze freeze = freeze("c" + i, "bob", "bob-cny", 10_00);
                results.add(threads.submit(() -> ledger.apply(freeze)));
            }
            long frozen = 0;
            for (Future<Applied> result : results) {
                Applied applied = result.get(60, TimeUnit.SECONDS);
                if (applied.outcome() == Outcome.FROZEN) {
                    frozen++;
                } else {
                    assertThat(applied.reason()).isEqualTo("INSUFFICIENT_FUNDS");
                }
            }
            threads.shutdown();

            Account bob = ledger.account("bob-cny").orElseThrow();
            assertThat(frozen).isEqualTo(50);
            assertThat(bob.heldMinor()).isEqualTo(500_00L);
            assertThat(bob.availableMinor()).isZero();
        }

        @Test
        void thousandsOfRandomCommandsKeepTheBooksBalancedAndCloseEveryHold() throws Exception {
            String[] customers = {"alice", "bob", "carol"};
            Random random = new Random(20261126);
            long totalBefore = totalOfAllBalances();
            Map<String, Long> faceValues = new ConcurrentHashMap<>();
            ExecutorService threads = Executors.newFixedThreadPool(4);
            List<Future<?>> work = new ArrayList<>();
            for (int voucher = 0; voucher < 2_000; voucher++) {
                String id = "m" + voucher;
                String payer = customers[random.nextInt(3)];
                String payee = customers[random.nextInt(3)];
                long amount = 1 + random.nextInt(300_00);
                long redeemed = 1 + (long) random.nextInt((int) amount);
                int ending = random.nextInt(4);
                boolean external = random.nextBoolean();
                boolean duplicate = random.nextInt(5) == 0;
                work.add(threads.submit(() -> {
                    Applied frozen = ledger.apply(freeze(id, payer, payer + "-cny", amount));
                    if (frozen.outcome() != Outcome.FROZEN) {
                        return;
                    }
                    faceValues.put(id, amount);
                    LedgerCommand end = switch (ending) {
                        case 0 -> new Release(id + "/release", id);
                        case 1 -> transfer(id, amount, payee, new OwnAccount(payee + "-cny"));
                        default -> transfer(id, redeemed, payee,
                                external ? new ExternalAccount("ICBC", "Dan", "1") : new OwnAccount(payee + "-cny"));
                    };
                    Applied ended = ledger.apply(end);
                    if (duplicate) {
                        ledger.apply(end);
                    }
                    if (ended.outcome() == Outcome.TRANSFER_FAILED) {
                        ledger.apply(new Release(id + "/release", id));
                    }
                }));
            }
            for (Future<?> future : work) {
                future.get(120, TimeUnit.SECONDS);
            }
            threads.shutdown();

            assertThat(faceValues).hasSizeGreaterThan(100);
            assertThat(totalOfAllBalances()).as("money is neither created nor destroyed").isEqualTo(totalBefore);
            assertThat(jdbc.sql("SELECT count(*) FROM holds WHERE state = 'HELD'").query(Long.class).single()).isZero();
            assertThat(jdbc.sql("SELECT coalesce(sum(held_minor), 0) FROM accounts").query(Long.class).single()).isZero();
            assertThat(jdbc.sql("SELECT count(*) FROM accounts WHERE kind = 'CUSTOMER' AND balance_minor < 0")
                    .query(Long.class).single()).isZero();
            assertThat(jdbc.sql("""
                    SELECT count(*) FROM accounts a
                    WHERE a.balance_minor <> (SELECT coalesce(sum(amount_minor), 0) FROM journal_entries e
                                              WHERE e.account_id = a.account_id)""").query(Long.class).single())
                    .as("every balance is the sum of its journal entries").isZero();
            assertThat(jdbc.sql("""
                    SELECT count(*) FROM daily_outward_use u
                    WHERE u.used_minor <> (SELECT coalesce(sum(captured_minor), 0) FROM holds h
                                           WHERE h.account_id = u.account_id AND h.business_date = u.business_date)""")
                    .query(Long.class).single())
                    .as("each day's outward use is what its holds captured, all of them being closed").isZero();
        }
    }

    /** The journal entries of a command's transaction, as "account:amount", debits first. */
    private List<String> journalEntries(String commandId) {
        return jdbc.sql("""
                SELECT e.account_id || ':' || e.amount_minor FROM journal_entries e
                JOIN journal_transactions t USING (transaction_id) WHERE t.command_id = :command
                ORDER BY e.amount_minor""").param("command", commandId).query(String.class).list();
    }

    /** Not only the command functions: the database holds every writer of entries and holds to the account's currency. */
    @Test
    void anEntryOrAHoldInAnotherCurrencyThanItsAccountIsRefusedByTheDatabase() {
        opening.openCustomerAccount("dora-eur", "dora", "EUR", 0L, DAILY_LIMIT);
        long journal = jdbc.sql("INSERT INTO journal_transactions (kind, command_id) VALUES ('OPENING', 'test/usd') "
                + "RETURNING transaction_id").query(Long.class).single();

        // Balanced in USD, and both accounts exist: only their currencies are wrong.
        assertThatThrownBy(() -> jdbc.sql("""
                        INSERT INTO journal_entries (transaction_id, account_id, amount_minor, currency)
                        VALUES (:journal, 'alice-cny', -100, 'USD'), (:journal, 'dora-eur', 100, 'USD')""")
                .param("journal", journal).update())
                .isInstanceOf(DataIntegrityViolationException.class).hasMessageContaining("journal_entries_in_account_currency");
        assertThatThrownBy(() -> jdbc.sql("""
                        INSERT INTO holds (voucher_id, account_id, amount_minor, currency, state, business_date)
                        VALUES ('v-usd', 'alice-cny', 100, 'USD', 'HELD', DATE '2026-11-26')""").update())
                .isInstanceOf(DataIntegrityViolationException.class).hasMessageContaining("holds_in_account_currency");
        assertThat(jdbc.sql("SELECT count(*) FROM holds WHERE voucher_id = 'v-usd'").query(Long.class).single()).isZero();
    }

    private long totalOfAllBalances() {
        return jdbc.sql("SELECT sum(balance_minor) FROM accounts").query(Long.class).single();
    }

    private String holdState(String voucherId) {
        return jdbc.sql("SELECT state FROM holds WHERE voucher_id = :v").param("v", voucherId).query(String.class).single();
    }

    private void assertRefused(Freeze freeze, String reason) {
        Applied applied = ledger.apply(freeze);
        assertThat(applied.outcome()).isEqualTo(Outcome.FREEZE_REFUSED);
        assertThat(applied.reason()).isEqualTo(reason);
    }

    private void assertFailed(Transfer transfer, String reason) {
        Applied applied = ledger.apply(transfer);
        assertThat(applied.outcome()).isEqualTo(Outcome.TRANSFER_FAILED);
        assertThat(applied.reason()).isEqualTo(reason);
    }

    private static Transfer attempt(int attempt, String voucherId, long amountMinor, String payee,
                                    LedgerCommand.Destination destination) {
        return new Transfer(voucherId + "/transfer-" + attempt, voucherId, amountMinor, "CNY", payee, destination);
    }

    private static Freeze freeze(String voucherId, String customer, String accountId, long amountMinor) {
        return new Freeze(voucherId + "/freeze", voucherId, customer, accountId, amountMinor, "CNY");
    }

    private static Transfer transfer(String voucherId, long amountMinor, String payee, LedgerCommand.Destination destination) {
        return new Transfer(voucherId + "/transfer", voucherId, amountMinor, "CNY", payee, destination);
    }
}
