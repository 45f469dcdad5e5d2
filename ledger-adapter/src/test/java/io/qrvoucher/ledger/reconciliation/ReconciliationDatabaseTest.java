package io.qrvoucher.ledger.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import com.zaxxer.hikari.HikariDataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.ledger.LedgerDatabases;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.AccountOpening;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.core.LedgerCommand;

/**
 * The reconciliation's checks on a real PostgreSQL ledger, changed through the real {@link Ledger}
 * and then, to inject mismatches, behind its back. Each test has a database of its own.
 */
class ReconciliationDatabaseTest {

    private HikariDataSource dataSource;
    private JdbcClient jdbc;
    private TransactionTemplate transactions;
    private Ledger ledger;
    private ReconciliationStore store;

    @BeforeEach
    void openLedger() {
        dataSource = TestDatabases.dataSource(LedgerDatabases.newLedger());
        jdbc = JdbcClient.create(dataSource);
        transactions = new TransactionTemplate(new JdbcTransactionManager(dataSource));
        ledger = new Ledger(jdbc, ZoneId.of("Asia/Shanghai"), Clock.systemUTC());
        store = new ReconciliationStore(jdbc, new JdbcTemplate(dataSource));
        AccountOpening opening = new AccountOpening(jdbc, transactions);
        opening.openBankAccounts("CNY");
        opening.openCustomerAccount("alice-cny", "alice", "CNY", 10_000_00L, 50_000_00L);
        opening.openCustomerAccount("bob-cny", "bob", "CNY", 500_00L, 50_000_00L);
        opening.openCustomerAccount("carol-cny", "carol", "CNY", 0L, 50_000_00L);
    }

    @AfterEach
    void closeLedger() {
        dataSource.close();
    }

    /** Rolled back from a release with a check this one does not know, the reconciliation goes on counting its own. */
    @Test
    void aMismatchOfACheckOfALaterReleaseIsLeftInTheReportNotCounted() {
        jdbc.sql("""
                INSERT INTO reconciliation_mismatches (check_name, subject, expected, found)
                VALUES ('a_check_of_a_later_release', 'alice-cny', '1', '2'), (:known, 'bob-cny', '1', '2')""")
                .param("known", Check.values()[0].id()).update();

        Map<Check, Long> counts = store.mismatchCounts();

        assertThat(counts).hasSize(Check.values().length).containsEntry(Check.values()[0], 1L);
        assertThat(counts.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1L);
        assertThat(store.newestMismatches(10)).extracting(ReconciliationStore.Mismatch::check)
                .contains("a_check_of_a_later_release");
    }

    @Test
    void aRedeemedVoucherTheLedgerAgreesWithIsCheckedOnceAndForgotten() {
        redeem("v1", 100_00L, 25_00L);
        store.expect(List.of(expectation("v1", "REDEEMED", 100_00L, 25_00L, Instant.now())));
        Reconciler reconciler = reconciler(new SimpleMeterRegistry(), 100, 100);

        reconciler.runOnce();

        assertThat(expectedVersion("v1")).isEmpty();
        assertThat(store.newestMismatches(10)).isEmpty();
    }

    @Test
    void aRedemptionPaidElsewhereThanItsVoucherSaysIsAMismatch() {
        ledger.apply(new LedgerCommand.Freeze("v16/freeze", "v16", "alice", "alice-cny", 100_00L, "CNY"));
        ledger.apply(new LedgerCommand.Transfer("v16/transfer", "v16", 25_00L, "CNY", "carol",
                new LedgerCommand.OwnAccount("carol-cny")));
        ledger.apply(new LedgerCommand.Freeze("v17/freeze", "v17", "alice", "alice-cny", 100_00L, "CNY"));
        ledger.apply(new LedgerCommand.Transfer("v17/transfer", "v17", 25_00L, "CNY", "carol",
                new LedgerCommand.ExternalAccount("ICBC", "Carol Chen", "6222 0001")));
        ledger.apply(new LedgerCommand.Freeze("v18/freeze", "v18", "alice", "alice-cny", 100_00L, "CNY"));
        ledger.apply(new LedgerCommand.Transfer("v18/transfer", "v18", 25_00L, "CNY", "carol",
                new LedgerCommand.ExternalAccount("ICBC", "Carol Chen", "6222 0002")));
        Instant now = Instant.now();
        store.expect(List.of(
                new Expectation("v16", "REDEEMED", 4, "alice-cny", "CNY", 100_00L, 25_00L, "account bob-cny", now),
                new Expectation("v17", "REDEEMED", 4, "alice-cny", "CNY", 100_00L, 25_00L,
                        Destinations.anotherBank("ICBC", "Carol Chen", "6222 0001"), now),
                new Expectation("v18", "REDEEMED", 4, "alice-cny", "CNY", 100_00L, 25_00L,
                        Destinations.anotherBank("ICBC", "Carol Chen", "6222 0001"), now)));

        reconciler(new SimpleMeterRegistry(), 100, 100).runOnce();

        assertThat(store.newestMismatches(10))
                .extracting(ReconciliationStore.Mismatch::check, ReconciliationStore.Mismatch::subject,
                        ReconciliationStore.Mismatch::found)
                .containsExactlyInAnyOrder(
                        tuple("voucher_agrees_with_ledger", "v16",
                                "hold of 10000 CNY on alice-cny CAPTURED 2500; redemptions [2500] to [account carol-cny]"),
                        tuple("voucher_agrees_with_ledger", "v18", "hold of 10000 CNY on alice-cny CAPTURED 2500; "
                                + "redemptions [2500] to [another bank: \"ICBC\", \"Carol Chen\", \"6222 0002\"]"));
        assertThat(expectedVersion("v17")).as("paid where its voucher says: checked and forgotten").isEmpty();
    }

    @Test
    void aVoucherIsNotCheckedBeforeItsGracePeriodHasPassed() {
        // Expired a moment ago: its release may still be on its way to the ledger.
        ledger.apply(new LedgerCommand.Freeze("v2/freeze", "v2", "alice", "alice-cny", 100_00L, "CNY"));
        store.expect(List.of(expectation("v2", "EXPIRED", 100_00L, 0, Instant.now().plusSeconds(3600))));

        reconciler(new SimpleMeterRegistry(), 100, 100).runOnce();

        assertThat(expectedVersion("v2")).isPresent();
        assertThat(store.newestMismatches(10)).isEmpty();
    }

    @Test
    void aHoldLeftOpenOnAFinalVoucherIsAMismatchUntilItIsReleased() {
        ledger.apply(new LedgerCommand.Freeze("v3/freeze", "v3", "alice", "alice-cny", 100_00L, "CNY"));
        store.expect(List.of(expectation("v3", "CANCELLED", 100_00L, 0, Instant.now())));
        MeterRegistry meters = new SimpleMeterRegistry();
        Reconciler reconciler = reconciler(meters, 100, 100);

        reconciler.runOnce();

        assertThat(store.newestMismatches(10)).singleElement().satisfies(mismatch -> {
            assertThat(mismatch.check()).isEqualTo("hold_ended");
            assertThat(mismatch.voucherId()).isEqualTo("v3");
            assertThat(mismatch.found()).isEqualTo("hold of 10000 CNY on alice-cny HELD; no redemption");
        });
        assertThat(mismatches(meters, Check.HOLD_ENDED)).isEqualTo(1.0);
        assertThat(expectedVersion("v3")).as("kept, to be checked again").isPresent();

        ledger.apply(new LedgerCommand.Release("v3/release", "v3"));
        reconciler.runOnce();

        assertThat(store.newestMismatches(10)).isEmpty();
        assertThat(mismatches(meters, Check.HOLD_ENDED)).isZero();
        assertThat(expectedVersion("v3")).isEmpty();
    }

    @Test
    void aTamperedJournalEntryIsFoundByTheSweepsWithoutAnyVoucherEvent() {
        redeem("v4", 100_00L, 40_00L);
        reconciler(new SimpleMeterRegistry(), 100, 100).runOnce();
        assertThat(store.newestMismatches(10)).as("the ledger agrees with itself").isEmpty();

        // A redemption's credit raised by one fen, behind the ledger's back (the balance trigger checks inserts only).
        long transactionId = redemptionTransaction("v4");
        jdbc.sql("""
                UPDATE journal_entries SET amount_minor = amount_minor + 1
                WHERE account_id = 'bob-cny' AND transaction_id = :id""").param("id", transactionId).update();
        reconciler(new SimpleMeterRegistry(), 100, 100).runOnce();

        assertThat(store.newestMismatches(10))
                .extracting(ReconciliationStore.Mismatch::check, ReconciliationStore.Mismatch::subject,
                        ReconciliationStore.Mismatch::found)
                .containsExactlyInAnyOrder(
                        tuple("journal_balanced", Long.toString(transactionId), "entries summing to 1 CNY"),
                        tuple("balance_matches_journal", "bob-cny", "balance 54000 CNY"),
                        tuple("capture_matches_journal", "v4",
                                "hold of 10000 CNY on alice-cny CAPTURED 4000; redemptions [4001]"));
    }

    @Test
    void aHoldMarkedCapturedWithoutItsMoneyMovingIsFoundByTheHoldsSweep() {
        ledger.apply(new LedgerCommand.Freeze("v5/freeze", "v5", "alice", "alice-cny", 100_00L, "CNY"));
        ledger.apply(new LedgerCommand.Release("v5/release", "v5"));

        jdbc.sql("UPDATE holds SET state = 'CAPTURED', captured_minor = amount_minor, released_minor = 0 WHERE voucher_id = 'v5'")
                .update();
        reconciler(new SimpleMeterRegistry(), 100, 100).runOnce();

        assertThat(store.newestMismatches(10)).singleElement().satisfies(mismatch -> {
            assertThat(mismatch.check()).isEqualTo("capture_matches_journal");
            assertThat(mismatch.subject()).isEqualTo("v5");
            assertThat(mismatch.expected()).isEqualTo("redemptions [10000] (hold of 10000 CNY on alice-cny CAPTURED 10000)");
        });
    }

    @Test
    void aHeldAmountChangedBehindTheLedgersBackIsFoundByTheAccountsSweep() {
        ledger.apply(new LedgerCommand.Freeze("v13/freeze", "v13", "alice", "alice-cny", 40_00L, "CNY"));
        Reconciler reconciler = reconciler(new SimpleMeterRegistry(), 100, 100);
        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).as("alice's held amount is her open hold's").isEmpty();

        // The hold's money made spendable again, behind the ledger's back.
        jdbc.sql("UPDATE accounts SET held_minor = 0 WHERE account_id = 'alice-cny'").update();
        reconciler.runOnce();

        assertThat(store.newestMismatches(10)).singleElement().satisfies(mismatch -> {
            assertThat(mismatch.check()).isEqualTo("held_matches_holds");
            assertThat(mismatch.subject()).isEqualTo("alice-cny");
            assertThat(mismatch.expected()).isEqualTo("held 4000 CNY (the sum of its open holds)");
            assertThat(mismatch.found()).isEqualTo("held 0 CNY");
        });

        jdbc.sql("UPDATE accounts SET held_minor = 4000 WHERE account_id = 'alice-cny'").update();
        ledger.apply(new LedgerCommand.Release("v13/release", "v13"));
        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).isEmpty();
    }

    /** Whatever became of the voucher in voucher-streams: the ledger sees its money frozen longer than any voucher lives. */
    @Test
    void aHoldOpenLongerThanAnyVoucherLivesIsReportedStuckUntilItIsReleased() {
        ledger.apply(new LedgerCommand.Freeze("v14/freeze", "v14", "alice", "alice-cny", 10_00L, "CNY"));
        ledger.apply(new LedgerCommand.Freeze("v15/freeze", "v15", "alice", "alice-cny", 20_00L, "CNY"));
        Reconciler reconciler = reconciler(new SimpleMeterRegistry(), 100, 100);
        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).as("holds a day old may be vouchers still valid").isEmpty();

        jdbc.sql("UPDATE holds SET created_at = now() - interval '27 hours' WHERE voucher_id = 'v14'").update();
        reconciler.runOnce();

        assertThat(store.newestMismatches(10)).singleElement().satisfies(mismatch -> {
            assertThat(mismatch.check()).isEqualTo("hold_open_too_long");
            assertThat(mismatch.subject()).isEqualTo("alice-cny");
            assertThat(mismatch.voucherId()).isEqualTo("v14");
            assertThat(mismatch.found()).startsWith("1 open, the oldest voucher v14's since ");
        });

        ledger.apply(new LedgerCommand.Release("v14/release", "v14"));
        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).isEmpty();
    }

    @Test
    void aSweepGoesRoundTheLedgerABatchPerRunAndClearsAMismatchWhenItComesBack() {
        // Five accounts two at a time: alice, bob | capital, carol | clearing | alice, bob | ...
        Reconciler reconciler = reconciler(new SimpleMeterRegistry(), 100, 2);
        jdbc.sql("UPDATE accounts SET balance_minor = balance_minor + 7 WHERE account_id = 'carol-cny'").update();

        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).as("carol's account is not in the first batch").isEmpty();
        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).extracting(ReconciliationStore.Mismatch::subject).containsExactly("carol-cny");

        jdbc.sql("UPDATE accounts SET balance_minor = balance_minor - 7 WHERE account_id = 'carol-cny'").update();
        reconciler.runOnce();
        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).as("until the sweep is back at carol's account").hasSize(1);
        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).isEmpty();
    }

    @Test
    void anAccountsSweepAddsOnlyTheEntriesAfterAnAccountsKeptTotal() {
        Reconciler reconciler = reconciler(Duration.ZERO, Duration.ofDays(1));
        redeem("v8", 100_00L, 30_00L);
        reconciler.runOnce();
        assertThat(keptTotal("bob-cny")).as("bob's total through v8's redemption")
                .containsExactly(redemptionTransaction("v8"), 530_00L);

        // Behind bob's kept total, a change to an entry is not summed again...
        jdbc.sql("UPDATE journal_entries SET amount_minor = amount_minor + 1 WHERE account_id = 'bob-cny' "
                + "AND transaction_id = :id").param("id", redemptionTransaction("v8")).update();
        redeem("v9", 100_00L, 20_00L);
        reconciler.runOnce();
        assertThat(store.newestMismatches(10)).extracting(ReconciliationStore.Mismatch::check)
                .doesNotContain("balance_matches_journal");
        assertThat(keptTotal("bob-cny")).containsExactly(redemptionTransaction("v9"), 550_00L);

        // ...until the total is a full-sum-every old: then bob's whole journal is summed again.
        jdbc.sql("UPDATE reconciliation_account_totals SET summed_in_full_at = now() - interval '2 days'").update();
        reconciler.runOnce();
        assertThat(store.newestMismatches(10))
                .filteredOn(mismatch -> mismatch.check().equals("balance_matches_journal"))
                .extracting(ReconciliationStore.Mismatch::subject, ReconciliationStore.Mismatch::expected)
                .containsExactly(tuple("bob-cny", "balance 55001 CNY (the sum of its journal entries)"));
    }

    @Test
    void anAccountsKeptTotalStopsAtTheNewestTransactionThatBeganAJournalSettledAfterAgo() {
        redeem("v11", 100_00L, 30_00L);
        jdbc.sql("UPDATE journal_transactions SET created_at = now() - interval '6 minutes' WHERE voucher_id = 'v11'")
                .update();
        redeem("v12", 100_00L, 20_00L);

        reconciler(Duration.ofMinutes(5), Duration.ofDays(1)).runOnce();

        assertThat(keptTotal("bob-cny")).as("through v11, whose transaction may no longer commit late; not v12")
                .containsExactly(redemptionTransaction("v11"), 530_00L);
        assertThat(store.newestMismatches(10)).isEmpty();
    }

    @Test
    void aKeptTotalThatMissedAnEntryIsSummedAgainInFullRatherThanReportedAsAMismatch() {
        Reconciler reconciler = reconciler(Duration.ZERO, Duration.ofDays(1));
        redeem("v10", 100_00L, 30_00L);
        reconciler.runOnce();

        // As if a transaction that began before the total was kept had committed after it.
        jdbc.sql("UPDATE reconciliation_account_totals SET journal_minor = journal_minor - 30_00 "
                + "WHERE account_id = 'bob-cny'").update();
        reconciler.runOnce();

        assertThat(store.newestMismatches(10)).isEmpty();
        assertThat(keptTotal("bob-cny")).containsExactly(redemptionTransaction("v10"), 530_00L);
    }

    @Test
    void eachRunIsTimedAndAFailedOneApart() {
        MeterRegistry meters = new SimpleMeterRegistry();
        Reconciler reconciler = reconciler(meters, 100, 100);

        reconciler.run();
        jdbc.sql("ALTER TABLE reconciliation_sweeps RENAME TO reconciliation_sweeps_gone").update();
        reconciler.run();

        assertThat(meters.get("ledger.reconciliation.runs").tag("outcome", "finished").timer().count()).isEqualTo(1);
        assertThat(meters.get("ledger.reconciliation.runs").tag("outcome", "failed").timer().count()).isEqualTo(1);
    }

    @Test
    void twoInstancesShareTheDueVouchersAndCheckEachOnce() throws Exception {
        Instant now = Instant.now();
        store.expect(IntStream.range(0, 300)
                .mapToObj(i -> expectation("rejected-" + i, "REJECTED", 100_00L, 0, now)).toList());
        MeterRegistry first = new SimpleMeterRegistry();
        MeterRegistry second = new SimpleMeterRegistry();
        Reconciler one = reconciler(first, 20, 100);
        Reconciler other = reconciler(second, 20, 100);
        ExecutorService instances = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            Future<?> oneRun = instances.submit(() -> {
                start.await();
                one.runOnce();
                return null;
            });
            Future<?> otherRun = instances.submit(() -> {
                start.await();
                other.runOnce();
                return null;
            });
            start.countDown();
            oneRun.get(60, TimeUnit.SECONDS);
            otherRun.get(60, TimeUnit.SECONDS);
        } finally {
            instances.shutdownNow();
        }

        assertThat(checkedVouchers(first) + checkedVouchers(second)).isEqualTo(300.0);
        assertThat(jdbc.sql("SELECT count(*) FROM reconciliation_expectations").query(Long.class).single()).isZero();
        assertThat(store.newestMismatches(10)).isEmpty();
    }

    @Test
    void whatAnotherInstanceIsCheckingIsSkippedNotWaitedFor() throws SQLException {
        Instant now = Instant.now();
        store.expect(IntStream.range(0, 30).mapToObj(i -> expectation((i < 10 ? "taken-" : "free-") + i, "REJECTED",
                100_00L, 0, now)).toList());
        String accountsSweepBefore = jdbc.sql("SELECT position FROM reconciliation_sweeps WHERE sweep = 'accounts'")
                .query(String.class).single();
        MeterRegistry meters = new SimpleMeterRegistry();
        Reconciler reconciler = reconciler(meters, 20, 2);

        try (Connection otherInstance = dataSource.getConnection()) {
            otherInstance.setAutoCommit(false);
            try (Statement statement = otherInstance.createStatement()) {
                statement.executeQuery("SELECT * FROM reconciliation_expectations WHERE voucher_id LIKE 'taken-%' FOR UPDATE")
                        .close();
                statement.executeQuery("SELECT * FROM reconciliation_sweeps WHERE sweep = 'accounts' FOR UPDATE").close();
            }

            assertTimeoutPreemptively(Duration.ofSeconds(30), reconciler::runOnce);

            assertThat(checkedVouchers(meters)).isEqualTo(20.0);
            assertThat(jdbc.sql("SELECT voucher_id FROM reconciliation_expectations").query(String.class).list())
                    .allMatch(voucherId -> voucherId.startsWith("taken-")).hasSize(10);
            assertThat(jdbc.sql("SELECT position FROM reconciliation_sweeps WHERE sweep = 'accounts'")
                    .query(String.class).single()).as("the accounts sweep is the other instance's now")
                    .isEqualTo(accountsSweepBefore);
            otherInstance.rollback();
        }

        reconciler.runOnce();
        assertThat(checkedVouchers(meters)).isEqualTo(30.0);
    }

    @Test
    void aNewerVersionOfAVoucherReplacesItsExpectationAndAnOlderOneDoesNot() {
        Instant now = Instant.now();
        store.expect(List.of(new Expectation("v6", "CANCELLED", 3, "alice-cny", "CNY", 100_00L, 0, null, now)));

        store.expect(List.of(new Expectation("v6", "CANCELLED", 5, "alice-cny", "CNY", 100_00L, 0, null, now)));
        store.expect(List.of(new Expectation("v6", "CANCELLED", 4, "alice-cny", "CNY", 100_00L, 0, null, now)));

        assertThat(expectedVersion("v6")).contains(5L);
    }

    /** The voucher version of the voucher's expectation, if it has one. */
    private Optional<Long> expectedVersion(String voucherId) {
        return jdbc.sql("SELECT voucher_version FROM reconciliation_expectations WHERE voucher_id = :id")
                .param("id", voucherId).query(Long.class).optional();
    }

    private void redeem(String voucherId, long faceValueMinor, long amountMinor) {
        ledger.apply(new LedgerCommand.Freeze(voucherId + "/freeze", voucherId, "alice", "alice-cny", faceValueMinor, "CNY"));
        ledger.apply(new LedgerCommand.Transfer(voucherId + "/transfer", voucherId, amountMinor, "CNY", "bob",
                new LedgerCommand.OwnAccount("bob-cny")));
    }

    /** Every entry of these tests is too new to be behind a kept total: an accounts sweep sums each journal in full. */
    private Reconciler reconciler(MeterRegistry meters, int batchSize, int sweepBatchSize) {
        return reconciler(meters, batchSize, sweepBatchSize, Duration.ofHours(1), Duration.ofDays(1));
    }

    private Reconciler reconciler(Duration journalSettledAfter, Duration fullSumEvery) {
        return reconciler(new SimpleMeterRegistry(), 100, 100, journalSettledAfter, fullSumEvery);
    }

    private Reconciler reconciler(MeterRegistry meters, int batchSize, int sweepBatchSize, Duration journalSettledAfter,
                                  Duration fullSumEvery) {
        // No grace and no pause: a voucher that disagrees is due again at once.
        return new Reconciler(store, transactions, new LedgerProperties.Reconciliation("ledger-reconciliation", 1,
                Duration.ZERO, Duration.ZERO, batchSize, sweepBatchSize, journalSettledAfter, fullSumEvery,
                Duration.ofHours(26), 50, Duration.ZERO, Duration.ofMinutes(5)), meters, Clock.systemUTC());
    }

    /** The account's kept total: through which journal transaction, and how much. */
    private List<Long> keptTotal(String accountId) {
        return jdbc.sql("SELECT through_transaction_id, journal_minor FROM reconciliation_account_totals WHERE account_id = :id")
                .param("id", accountId)
                .query((rs, row) -> List.of(rs.getLong("through_transaction_id"), rs.getLong("journal_minor")))
                .single();
    }

    private long redemptionTransaction(String voucherId) {
        return jdbc.sql("SELECT transaction_id FROM journal_transactions WHERE voucher_id = :id")
                .param("id", voucherId).query(Long.class).single();
    }

    private static Expectation expectation(String voucherId, String status, long faceValueMinor, long redeemedMinor,
                                           Instant dueAt) {
        return new Expectation(voucherId, status, 1, "alice-cny", "CNY", faceValueMinor, redeemedMinor,
                redeemedMinor > 0 ? "account bob-cny" : null, dueAt);
    }

    private static double mismatches(MeterRegistry meters, Check check) {
        return meters.get("ledger.reconciliation.mismatches").tag("check", check.id()).gauge().value();
    }

    private static double checkedVouchers(MeterRegistry meters) {
        return meters.get("ledger.reconciliation.checked").tag("subject", "voucher").counter().count();
    }
}
