package io.qrvoucher.ledger.reconciliation;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.reconciliation.ReconciliationStore.AccountTotals;
import io.qrvoucher.ledger.reconciliation.ReconciliationStore.JournalTransaction;
import io.qrvoucher.ledger.reconciliation.ReconciliationStore.Recorded;

/**
 * A run of the reconciliation on this instance. It checks every due voucher expectation, in batches
 * that other instances skip ({@code FOR UPDATE SKIP LOCKED}), and moves each sweep over the ledger's
 * own tables on by one batch, if no other instance is moving it. Whatever it finds goes to the shared
 * mismatches table, so every instance reports the same counts; a new mismatch is logged once.
 */
class Reconciler {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private final ReconciliationStore store;
    private final TransactionTemplate transactions;
    private final LedgerProperties.Reconciliation settings;
    private final Clock clock;
    private final Counter vouchersChecked;
    private final Counter transactionsChecked;
    private final Counter holdsChecked;
    private final Counter accountsChecked;
    private final MeterRegistry meters;
    private final Timer runsFinished;
    private final Timer runsFailed;
    private volatile Map<Check, Long> mismatches = Map.of();
    private volatile Instant lastSuccess;

    Reconciler(ReconciliationStore store, TransactionTemplate transactions, LedgerProperties.Reconciliation settings,
               MeterRegistry meters, Clock clock) {
        this.store = store;
        this.transactions = transactions;
        this.settings = settings;
        this.clock = clock;
        this.meters = meters;
        for (Check check : Check.values()) {
            // Read from the shared table at the end of each run: every instance shows the same number.
            Gauge.builder("ledger.reconciliation.mismatches", this,
                            reconciler -> Optional.ofNullable(reconciler.mismatches.get(check))
                                    .map(Long::doubleValue).orElse(Double.NaN))
                    .tag("check", check.id())
                    .description("Open mismatches of the check (NaN until this instance's first run)")
                    .register(meters);
        }
        TimeGauge.builder("ledger.reconciliation.last.success", this, TimeUnit.MILLISECONDS,
                        reconciler -> reconciler.lastSuccess == null ? 0 : reconciler.lastSuccess.toEpochMilli())
                .description("When this instance last finished a run of the reconciliation (epoch; 0 before the first)")
                .register(meters);
        vouchersChecked = checked(meters, "voucher");
        transactionsChecked = checked(meters, "journal_transaction");
        holdsChecked = checked(meters, "hold");
        accountsChecked = checked(meters, "account");
        runsFinished = runs(meters, "finished");
        runsFailed = runs(meters, "failed");
    }

    /** A run's time grows with what was due and with the sweeps' batches: the first sign of a reconciliation falling behind. */
    private static Timer runs(MeterRegistry meters, String outcome) {
        return Timer.builder("ledger.reconciliation.runs").tag("outcome", outcome)
                .description("Runs of the reconciliation on this instance, and how long each took").register(meters);
    }

    private static Counter checked(MeterRegistry meters, String subject) {
        return Counter.builder("ledger.reconciliation.checked").tag("subject", subject)
                .description("Subjects this instance checked").register(meters);
    }

    /** Runs, and says in the log if the run failed; the next run starts from where the tables are. */
    void run() {
        Timer.Sample run = Timer.start(meters);
        try {
            runOnce();
            run.stop(runsFinished);
        } catch (RuntimeException e) {
            run.stop(runsFailed);
            log.warn("Reconciliation run failed; the next one is in {}", settings.interval(), e);
        }
    }

    /** @throws RuntimeException if the database failed; what was committed before stays */
    void runOnce() {
        // Only what was due when the run started: a voucher that disagrees is due again later, not in this run.
        Instant start = store.now();
        VoucherBatch batch;
        do {
            batch = transactions.execute(status -> checkDueVouchers(start));
            report(batch.recorded());
        } while (batch.taken() == settings.batchSize());
        report(transactions.execute(status -> sweepJournal()));
        report(transactions.execute(status -> sweepHolds()));
        report(transactions.execute(status -> sweepAccounts()));
        mismatches = store.mismatchCounts();
        lastSuccess = clock.instant();
    }

    Optional<Instant> lastSuccess() {
        return Optional.ofNullable(lastSuccess);
    }

    private VoucherBatch checkDueVouchers(Instant start) {
        List<Expectation> due = store.takeDue(start, settings.batchSize());
        if (due.isEmpty()) {
            return new VoucherBatch(0, Recorded.NOTHING);
        }
        List<String> voucherIds = due.stream().map(Expectation::voucherId).toList();
        Map<String, LedgerFacts> facts = store.facts(voucherIds).stream()
                .collect(Collectors.toMap(LedgerFacts::voucherId, Function.identity()));
        List<Finding> findings = new ArrayList<>();
        List<String> agreeing = new ArrayList<>();
        List<String> disagreeing = new ArrayList<>();
        for (Expectation expectation : due) {
            LedgerFacts ledger = facts.get(expectation.voucherId());
            List<Finding> againstVoucher = VoucherChecks.againstVoucher(expectation, ledger);
            (againstVoucher.isEmpty() ? agreeing : disagreeing).add(expectation.voucherId());
            findings.addAll(againstVoucher);
            findings.addAll(VoucherChecks.withinLedger(ledger));
        }
        if (!agreeing.isEmpty()) {
            store.settled(agreeing);
        }
        if (!disagreeing.isEmpty()) {
            // Kept, and checked again: a mismatch that the ledger catches up with goes away by itself.
            store.checkAgainAfter(disagreeing, settings.interval());
        }
        vouchersChecked.increment(due.size());
        return new VoucherBatch(due.size(), store.record(VoucherChecks.OF_FINAL_VOUCHER, voucherIds, findings));
    }

    private Recorded sweepJournal() {
        Optional<String> position = store.takeSweep("journal");
        if (position.isEmpty()) {
            return Recorded.NOTHING;
        }
        long after = Long.parseLong(position.get());
        List<JournalTransaction> batch = store.journalAfter(after, settings.sweepBatchSize());
        if (batch.isEmpty()) {
            store.moveSweep("journal", "0");
            return Recorded.NOTHING;
        }
        long last = batch.get(batch.size() - 1).transactionId();
        Recorded balanced = store.record(EnumSet.of(Check.JOURNAL_BALANCED),
                batch.stream().map(transaction -> Long.toString(transaction.transactionId())).toList(),
                store.unbalanced(after, last));
        Recorded redemptions = checkWithinLedger(batch.stream().filter(JournalTransaction::redemption)
                .map(JournalTransaction::voucherId).distinct().toList());
        store.moveSweep("journal", nextPosition(batch.size(), Long.toString(last), "0"));
        transactionsChecked.increment(batch.size());
        return balanced.and(redemptions);
    }

    private Recorded sweepHolds() {
        Optional<String> position = store.takeSweep("holds");
        if (position.isEmpty()) {
            return Recorded.NOTHING;
        }
        List<String> voucherIds = store.holdsAfter(position.get(), settings.sweepBatchSize());
        Recorded recorded = checkWithinLedger(voucherIds);
        store.moveSweep("holds", nextPosition(voucherIds.size(),
                voucherIds.isEmpty() ? "" : voucherIds.get(voucherIds.size() - 1), ""));
        holdsChecked.increment(voucherIds.size());
        return recorded;
    }

    private Recorded sweepAccounts() {
        Optional<String> position = store.takeSweep("accounts");
        if (position.isEmpty()) {
            return Recorded.NOTHING;
        }
        long settledThrough = store.settledThrough(settings.journalSettledAfter());
        List<AccountTotals> accounts = confirmedInFull(
                store.accountsAfter(position.get(), settings.sweepBatchSize(), settledThrough, settings.fullSumEvery()),
                settledThrough);
        store.keep(accounts);
        List<Finding> findings = new ArrayList<>();
        for (AccountTotals account : accounts) {
            if (!account.agrees()) {
                findings.add(new Finding(Check.BALANCE_MATCHES_JOURNAL, account.accountId(), null,
                        "balance " + account.journalMinor() + " " + account.currency() + " (the sum of its journal entries)",
                        "balance " + account.balanceMinor() + " " + account.currency()));
            }
            if (!account.heldAgrees()) {
                findings.add(new Finding(Check.HELD_MATCHES_HOLDS, account.accountId(), null,
                        "held " + account.openHoldsMinor() + " " + account.currency() + " (the sum of its open holds)",
                        "held " + account.heldMinor() + " " + account.currency()));
            }
        }
        List<String> accountIds = accounts.stream().map(AccountTotals::accountId).toList();
        if (!accountIds.isEmpty()) {
            findings.addAll(store.holdsOpenTooLong(accountIds, settings.holdOpenAtMost()));
        }
        Recorded recorded = store.record(
                EnumSet.of(Check.BALANCE_MATCHES_JOURNAL, Check.HELD_MATCHES_HOLDS, Check.HOLD_OPEN_TOO_LONG),
                accountIds, findings);
        store.moveSweep("accounts", nextPosition(accounts.size(),
                accounts.isEmpty() ? "" : accounts.get(accounts.size() - 1).accountId(), ""));
        accountsChecked.increment(accounts.size());
        return recorded;
    }

    /**
     * The accounts, each one that disagrees summed again from its first entry: a kept total can miss the entries
     * of a transaction that committed after it was kept, and only a full sum makes a mismatch (and a new total).
     */
    private List<AccountTotals> confirmedInFull(List<AccountTotals> accounts, long settledThrough) {
        List<String> disagreeing = accounts.stream().filter(account -> !account.agrees())
                .map(AccountTotals::accountId).toList();
        if (disagreeing.isEmpty()) {
            return accounts;
        }
        Map<String, AccountTotals> summedInFull = store.accountsSummedInFull(disagreeing, settledThrough).stream()
                .collect(Collectors.toMap(AccountTotals::accountId, Function.identity()));
        return accounts.stream().map(account -> summedInFull.getOrDefault(account.accountId(), account)).toList();
    }

    private Recorded checkWithinLedger(Collection<String> voucherIds) {
        if (voucherIds.isEmpty()) {
            return Recorded.NOTHING;
        }
        List<Finding> findings = store.facts(voucherIds).stream()
                .flatMap(facts -> VoucherChecks.withinLedger(facts).stream()).toList();
        return store.record(VoucherChecks.WITHIN_LEDGER, voucherIds, findings);
    }

    /** A short batch reached the end of the table: the next run starts the sweep over. */
    private String nextPosition(int batchSize, String last, String start) {
        return batchSize < settings.sweepBatchSize() ? start : last;
    }

    private record VoucherBatch(int taken, Recorded recorded) {
    }

    /** Logged after the commit, so that a mismatch is told once it is recorded, and once. */
    private static void report(Recorded recorded) {
        for (Finding finding : recorded.added()) {
            String message = "Reconciliation mismatch {} on {}: expected {}, found {}";
            String subject = finding.voucherId() == null || finding.voucherId().equals(finding.subject())
                    ? finding.subject() : finding.subject() + " (voucher " + finding.voucherId() + ")";
            Object[] arguments = {finding.check().id(), subject, finding.expected(), finding.found()};
            if (finding.check().mayBeLate()) {
                log.warn(message, arguments);
            } else {
                log.error(message, arguments);
            }
        }
        for (ReconciliationStore.Mismatch resolved : recorded.resolved()) {
            log.info("Reconciliation mismatch {} on {} resolved (it had found {})", resolved.check(), resolved.subject(),
                    resolved.found());
        }
    }
}
