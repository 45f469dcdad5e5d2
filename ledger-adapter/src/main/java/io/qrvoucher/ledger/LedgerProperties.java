package io.qrvoucher.ledger;

import static io.qrvoucher.schemas.Topics.ACCOUNT_SNAPSHOTS;
import static io.qrvoucher.schemas.Topics.LEDGER_COMMANDS;
import static io.qrvoucher.schemas.Topics.LEDGER_DEAD_LETTERS;
import static io.qrvoucher.schemas.Topics.LEDGER_RESULTS;
import static io.qrvoucher.schemas.Topics.VOUCHER_EVENTS;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Configuration of the ledger adapter, under {@code ledger.*}. Kafka and the database are set with
 * the usual {@code spring.kafka.*} and {@code spring.datasource.*}; the bank's time zone, whose business
 * days bound the daily outward limit, is the bank's rule {@code bank.zone} ({@link io.qrvoucher.support.BankRules}).
 *
 * @param topics         topic names
 * @param retry          how failures of the database or the broker are retried
 * @param reconciliation how the ledger is compared with the vouchers' final states
 * @param demo           the customers the {@code demo} profile opens accounts for
 * @param admin          the operators' admin API on the management port
 * @param accountSnapshots whether the accounts a change touched are published to {@code account-snapshots}
 */
@ConfigurationProperties("ledger")
public record LedgerProperties(
        @DefaultValue Topics topics,
        @DefaultValue Retry retry,
        @DefaultValue Reconciliation reconciliation,
        @DefaultValue Demo demo,
        @DefaultValue Admin admin,
        @DefaultValue AccountSnapshots accountSnapshots) {

    /**
     * The compacted {@code account-snapshots} topic, for downstream systems that keep balances of their own (no
     * part of this project reads it: the ingress asks the ledger). Off by default: a snapshot of each account a
     * command changed is a database read and a record for every freeze, transfer and release, about three a
     * voucher, for no reader.
     *
     * @param publish publish a fresh snapshot of every account a command or an opening changed, and every
     *                account's at start
     */
    public record AccountSnapshots(@DefaultValue("false") boolean publish) {
    }

    /**
     * The operators' admin API ({@code /admin/accounts} on the management port), behind HTTP Basic.
     *
     * @param username                 the operator's user name
     * @param password                 the operator's password; no default: unset or blank, the admin API refuses
     *                                 every request. Best given as a secret file ({@code ledger.admin.password})
     * @param defaultDailyOutwardLimit the daily outward limit of an account opened without one, in whole units of
     *                                 its currency
     */
    public record Admin(
            @DefaultValue("operator") String username,
            String password,
            @DefaultValue("50000") long defaultDailyOutwardLimit) {

        /** The most whole units a default may be: in minor units of any currency (up to four decimals) it fits a long. */
        static final long MAX_DEFAULT_DAILY_OUTWARD_LIMIT = Long.MAX_VALUE / 10_000;

        public Admin {
            // Checked at start: wrong, it would fail every opening that does not give a limit of its own, as a 500.
            if (defaultDailyOutwardLimit < 0 || defaultDailyOutwardLimit > MAX_DEFAULT_DAILY_OUTWARD_LIMIT) {
                throw new IllegalArgumentException("ledger.admin.default-daily-outward-limit must be 0 to "
                        + MAX_DEFAULT_DAILY_OUTWARD_LIMIT + " whole units, not " + defaultDailyOutwardLimit);
            }
        }

        public boolean hasPassword() {
            return password != null && !password.isBlank();
        }

        /** Without the password, which a record would print. */
        @Override
        public String toString() {
            return "Admin[username=" + username + ", password=" + (hasPassword() ? "(set)" : "(none)")
                    + ", defaultDailyOutwardLimit=" + defaultDailyOutwardLimit + "]";
        }
    }

    /**
     * @param loadCustomers     beside alice, bob and carol: customers {@code load-payer-1..N}, each with a funded
     *                          CNY account {@code load-payer-<i>-cny}, and {@code load-payee-1..N} with an empty one,
     *                          for load tests (the peer's {@code --peer.load.customers=N})
     * @param loadPayerBalance  what each load payer's account opens with, in minor units
     */
    public record Demo(
            @DefaultValue("0") int loadCustomers,
            @DefaultValue("100000000") long loadPayerBalance) {
    }

    /** @param voucherEvents the public topic the reconciliation reads the vouchers' final states from */
    public record Topics(
            @DefaultValue(LEDGER_COMMANDS) String commands,
            @DefaultValue(LEDGER_RESULTS) String results,
            @DefaultValue(ACCOUNT_SNAPSHOTS) String accountSnapshots,
            @DefaultValue(LEDGER_DEAD_LETTERS) String deadLetters,
            @DefaultValue(VOUCHER_EVENTS) String voucherEvents) {
    }

    /**
     * @param initialInterval        first pause after a failure; it doubles up to {@code maxInterval}
     * @param maxInterval            longest pause between two attempts
     * @param transferGiveUpAfter    how long a transfer may fail against the database before it is
     *                               given up: its next attempt that reaches the database stores a
     *                               refusal (LEDGER_UNAVAILABLE) unless the transfer was applied
     *                               before, and publishes what the database then holds. Nothing is
     *                               answered while the database cannot be reached, however long.
     *                               Freezes and releases never give up: giving up could leave money
     *                               held with no voucher to release it
     * @param publishTimeout         how long a result may wait for the broker's acknowledgement
     * @param statementTimeout       how long a command's (or a read's, an account opening's or closing's, the
     *                               reconciliation listener's) statement may run, a wait for a row lock
     *                               included, before it is cancelled and fails like an unreachable database (whole
     *                               seconds, at least one): a transfer's give-up time then runs. A statement whose
     *                               database goes silent, its cancel lost too, fails after twice this
     * @param pollBudget             how long the commands of one poll may take together: once it is spent, the
     *                               commands applied are published and their offsets committed, and the rest of the
     *                               poll is left to the next poll, at once. Commands each slow but succeeding (a
     *                               database short of I/O) otherwise kept a poll of 100 past Kafka's
     *                               {@code max.poll.interval.ms}: the instance was put out of its group, and its
     *                               commands answered again by the next owner. This, twice the statement timeout (the
     *                               command under way when it is spent), the publish timeout and the longest pause
     *                               must fit in {@code max.poll.interval.ms}, else the adapter does not start
     */
    public record Retry(
            @DefaultValue("200ms") Duration initialInterval,
            @DefaultValue("5s") Duration maxInterval,
            @DefaultValue("30s") Duration transferGiveUpAfter,
            @DefaultValue("10s") Duration publishTimeout,
            @DefaultValue("30s") Duration statementTimeout,
            @DefaultValue("60s") Duration pollBudget) {

        public Retry {
            if (pollBudget.isNegative() || pollBudget.isZero()) {
                throw new IllegalArgumentException("ledger.retry.poll-budget must be more than 0, not " + pollBudget);
            }
        }

        /**
         * The longest a poll's handling may take, to the next poll: its budget, the command under way then (its
         * statement, cancelled on a silent database after twice the timeout), its results' publish, and the pause
         * before the next poll after a failure.
         */
        public Duration longestPoll() {
            return pollBudget.plus(statementTimeout.multipliedBy(2)).plus(publishTimeout).plus(maxInterval);
        }
    }

    /**
     * The reconciliation (package {@code reconciliation}); {@code ledger.reconciliation.enabled=false}
     * leaves it out altogether.
     *
     * @param groupId             the consumer group in which the instances share the partitions of
     *                            {@code voucher-events}
     * @param listenerConcurrency consumer threads per instance on {@code voucher-events}
     * @param gracePeriod         how long after a voucher's final event the ledger may still be
     *                            catching up (its release in flight) before the voucher is checked
     * @param interval            pause between two runs of the checks on one instance; a voucher that
     *                            disagrees is checked again after this long
     * @param batchSize           vouchers checked in one database transaction
     * @param sweepBatchSize      journal transactions, holds and accounts each of the sweeps over the
     *                            whole ledger checks in one run
     * @param journalSettledAfter how long after it began a journal transaction has committed or rolled back, and
     *                            every transaction with a lower id too, if no ledger transaction stays open half
     *                            as long (one that does costs a full sum of its accounts). The accounts sweep keeps
     *                            each account's total up to the transactions this old, and sums only the
     *                            entries after it on its next round
     * @param fullSumEvery        how often the accounts sweep sums an account's whole journal again instead of
     *                            adding to its kept total, so that a change to an entry behind the total is found
     * @param holdOpenAtMost      how long a hold may stay open before the accounts sweep reports it stuck: more than
     *                            the longest validity a voucher may have (voucher-streams' {@code voucher.policy.max-validity-days},
     *                            to the end of a day) by the time an operator should look at a voucher left frozen
     * @param reportSize          how many of the newest mismatches the report lists
     * @param fetchWait           how long the broker may hold the listener's fetch of {@code voucher-events}
     *                            to gather 64 KiB ({@code fetch.max.wait.ms}): under load a poll, and its
     *                            database transaction, once in that time instead of once per commit of the
     *                            topology. Nothing here is urgent: a voucher is checked after {@code gracePeriod}
     * @param statementTimeout    how long one statement of its checks and sweeps may run (whole seconds, at least
     *                            one) before it is cancelled and the run fails, to be tried at the next: longer than
     *                            the commands' own, since a full sum goes over a busy account's whole journal. One
     *                            whose database goes silent fails after twice this. The listener's statements end as
     *                            the commands' do ({@code ledger.retry.statement-timeout}), within the poll interval
     */
    public record Reconciliation(
            @DefaultValue("ledger-reconciliation") String groupId,
            @DefaultValue("1") int listenerConcurrency,
            @DefaultValue("2m") Duration gracePeriod,
            @DefaultValue("30s") Duration interval,
            @DefaultValue("1000") int batchSize,
            @DefaultValue("5000") int sweepBatchSize,
            @DefaultValue("5m") Duration journalSettledAfter,
            @DefaultValue("1d") Duration fullSumEvery,
            @DefaultValue("26h") Duration holdOpenAtMost,
            @DefaultValue("50") int reportSize,
            @DefaultValue("500ms") Duration fetchWait,
            @DefaultValue("5m") Duration statementTimeout) {
    }
}
