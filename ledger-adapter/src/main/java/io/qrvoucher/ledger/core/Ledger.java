package io.qrvoucher.ledger.core;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import io.qrvoucher.ledger.core.Applied.Outcome;
import io.qrvoucher.ledger.core.LedgerCommand.ExternalAccount;
import io.qrvoucher.ledger.core.LedgerCommand.Freeze;
import io.qrvoucher.ledger.core.LedgerCommand.OwnAccount;
import io.qrvoucher.ledger.core.LedgerCommand.Release;
import io.qrvoucher.ledger.core.LedgerCommand.Transfer;
import io.qrvoucher.schemas.VoucherRules;

/**
 * The bank's ledger in PostgreSQL. Each command is applied in one database transaction that first
 * takes a lock on its voucher (so that two instances given the same command apply it one after the
 * other), answers a command applied before from {@code processed_commands}, and otherwise changes
 * accounts, holds and the journal under row locks and records the result — all or nothing.
 * Money is never created or destroyed: a transfer is a balanced pair of journal entries, which the
 * database itself checks at commit.
 */
public class Ledger {

    private static final RowMapper<Account> ACCOUNT = (rs, row) -> new Account(rs.getString("account_id"),
            rs.getString("owner_customer_id"), rs.getString("kind"), rs.getString("currency"),
            rs.getLong("balance_minor"), rs.getLong("held_minor"), rs.getString("status"),
            rs.getBoolean("outward_transfers_allowed"), rs.getLong("daily_outward_limit_minor"),
            rs.getLong("version"), rs.getTimestamp("updated_at").toInstant());

    private static final RowMapper<Hold> HOLD = (rs, row) -> new Hold(rs.getString("voucher_id"),
            rs.getString("account_id"), rs.getLong("amount_minor"), rs.getString("currency"), rs.getString("state"),
            rs.getObject("business_date", LocalDate.class));

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final ZoneId bankZone;
    private final Clock clock;

    public Ledger(JdbcClient jdbc, TransactionTemplate transactions, ZoneId bankZone, Clock clock) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.bankZone = bankZone;
        this.clock = clock;
    }

    /** Applies the command once; a command applied before returns its stored result. */
    public Applied apply(LedgerCommand command) {
        return transactions.execute(status -> applyInTransaction(command));
    }

    private Applied applyInTransaction(LedgerCommand command) {
        lockVoucher(command.voucherId());
        Optional<Applied> earlier = processed(command.commandId());
        if (earlier.isPresent()) {
            return earlier.get();
        }
        Applied applied;
        if (command instanceof Freeze freeze) {
            applied = freeze(freeze);
        } else if (command instanceof Transfer transfer) {
            applied = transfer(transfer);
        } else {
            applied = release((Release) command);
        }
        record(applied);
        return applied;
    }

    /**
     * Settles a transfer the adapter gives up on without applying it: the stored result if the
     * transfer was applied before (its commit may have happened although no answer came back), and
     * otherwise a refusal for {@code reason}, stored like any result — so that a later delivery of
     * the transfer is answered with the refusal and never moves the money. One transaction, under
     * the voucher's lock like {@link #apply}.
     */
    public Applied refuseTransfer(Transfer transfer, LedgerRefusal reason) {
        return transactions.execute(status -> {
            lockVoucher(transfer.voucherId());
            Optional<Applied> earlier = processed(transfer.commandId());
            if (earlier.isPresent()) {
                return earlier.get();
            }
            Applied refused = refused(transfer, Outcome.TRANSFER_FAILED, reason);
            record(refused);
            return refused;
        });
    }

    private void lockVoucher(String voucherId) {
        jdbc.sql("SELECT pg_advisory_xact_lock(hashtextextended(:voucher, 0))")
                .param("voucher", voucherId).query().listOfRows();
    }

    public Optional<Account> account(String accountId) {
        return jdbc.sql("SELECT * FROM accounts WHERE account_id = :id").param("id", accountId).query(ACCOUNT).optional();
    }

    public List<Account> accounts(List<String> accountIds) {
        return jdbc.sql("SELECT * FROM accounts WHERE account_id IN (:ids) ORDER BY account_id")
                .param("ids", accountIds).query(ACCOUNT).list();
    }

    /** A customer's own accounts, by id. */
    public List<Account> accountsOf(String customerId) {
        return jdbc.sql("SELECT * FROM accounts WHERE owner_customer_id = :owner AND kind = 'CUSTOMER' ORDER BY account_id")
                .param("owner", customerId).query(ACCOUNT).list();
    }

    public List<Account> allAccounts() {
        return jdbc.sql("SELECT * FROM accounts ORDER BY account_id").query(ACCOUNT).list();
    }

    private Applied freeze(Freeze freeze) {
        if (freeze.amountMinor() <= 0 || VoucherRules.iso4217(freeze.currency()).isEmpty()) {
            return refused(freeze, Outcome.FREEZE_REFUSED, LedgerRefusal.INVALID_COMMAND);
        }
        Optional<Account> found = lockAccount(freeze.accountId());
        if (found.isEmpty()) {
            return refused(freeze, Outcome.FREEZE_REFUSED, LedgerRefusal.ACCOUNT_NOT_FOUND);
        }
        Account account = found.get();
        // One business day for the check, the hold and the running total, even across midnight.
        LocalDate day = today();
        Optional<LedgerRefusal> refusal = checkFreeze(freeze, account, day);
        if (refusal.isPresent()) {
            return refused(freeze, Outcome.FREEZE_REFUSED, refusal.get());
        }
        // The hold, the account's held amount and the day's outward use, in one statement.
        jdbc.sql("""
                WITH hold AS (
                    INSERT INTO holds (voucher_id, account_id, amount_minor, currency, state, business_date)
                    VALUES (:voucher, :account, :amount, :currency, 'HELD', :day)),
                held AS (
                    UPDATE accounts SET held_minor = held_minor + :amount, version = version + 1, updated_at = :now
                    WHERE account_id = :account)
                INSERT INTO daily_outward_use (account_id, business_date, used_minor) VALUES (:account, :day, :amount)
                ON CONFLICT (account_id, business_date)
                DO UPDATE SET used_minor = daily_outward_use.used_minor + excluded.used_minor""")
                .param("voucher", freeze.voucherId()).param("account", account.accountId())
                .param("amount", freeze.amountMinor()).param("currency", freeze.currency())
                .param("day", day).param("now", timestamp()).update();
        return applied(freeze, Outcome.FROZEN, 0, 0, List.of(account.accountId()));
    }

    private Optional<LedgerRefusal> checkFreeze(Freeze freeze, Account account, LocalDate day) {
        if (!"CUSTOMER".equals(account.kind()) || !account.ownerCustomerId().equals(freeze.customerId())) {
            return Optional.of(LedgerRefusal.NOT_ACCOUNT_OWNER);
        }
        if (!account.isActive()) {
            return Optional.of(LedgerRefusal.ACCOUNT_NOT_ACTIVE);
        }
        if (!account.outwardTransfersAllowed()) {
            return Optional.of(LedgerRefusal.OUTWARD_TRANSFERS_NOT_ALLOWED);
        }
        if (!account.currency().equals(freeze.currency())) {
            return Optional.of(LedgerRefusal.CURRENCY_MISMATCH);
        }
        // Read after the account's lock was taken (a statement of its own, so that it sees what the lock's
        // previous holder committed); the voucher's hold cannot change under the voucher's lock.
        FreezeContext context = jdbc.sql("""
                SELECT EXISTS (SELECT 1 FROM holds WHERE voucher_id = :voucher) AS voucher_held,
                       (SELECT coalesce(max(used_minor), 0) FROM daily_outward_use
                        WHERE account_id = :account AND business_date = :day) AS used_today""")
                .param("voucher", freeze.voucherId()).param("account", account.accountId()).param("day", day)
                .query((rs, row) -> new FreezeContext(rs.getBoolean("voucher_held"), rs.getLong("used_today")))
                .single();
        if (context.voucherHeld()) {
            return Optional.of(LedgerRefusal.VOUCHER_ALREADY_HELD);
        }
        if (context.usedToday() + freeze.amountMinor() > account.dailyOutwardLimitMinor()) {
            return Optional.of(LedgerRefusal.DAILY_LIMIT_EXCEEDED);
        }
        if (account.availableMinor() < freeze.amountMinor()) {
            return Optional.of(LedgerRefusal.INSUFFICIENT_FUNDS);
        }
        return Optional.empty();
    }

    private Applied transfer(Transfer transfer) {
        Optional<Hold> found = lockHold(transfer.voucherId());
        if (found.isEmpty()) {
            return refused(transfer, Outcome.TRANSFER_FAILED, LedgerRefusal.HOLD_NOT_FOUND);
        }
        Hold hold = found.get();
        if (!hold.isHeld()) {
            return refused(transfer, Outcome.TRANSFER_FAILED, LedgerRefusal.HOLD_NOT_OPEN);
        }
        if (transfer.amountMinor() <= 0) {
            return refused(transfer, Outcome.TRANSFER_FAILED, LedgerRefusal.INVALID_COMMAND);
        }
        if (transfer.amountMinor() > hold.amountMinor()) {
            return refused(transfer, Outcome.TRANSFER_FAILED, LedgerRefusal.AMOUNT_EXCEEDS_HOLD);
        }
        if (!hold.currency().equals(transfer.currency())) {
            return refused(transfer, Outcome.TRANSFER_FAILED, LedgerRefusal.CURRENCY_MISMATCH);
        }
        Optional<String> destinationId = transfer.destination() instanceof OwnAccount own
                ? Optional.of(own.accountId()) : clearingAccountId(transfer.currency());
        if (destinationId.isEmpty()) {
            return refused(transfer, Outcome.TRANSFER_FAILED, LedgerRefusal.CLEARING_ACCOUNT_MISSING);
        }
        Optional<Account> lockedDestination = lockAccounts(hold.accountId(), destinationId.get()).stream()
                .filter(account -> account.accountId().equals(destinationId.get())).findFirst();
        if (lockedDestination.isEmpty()) {
            return refused(transfer, Outcome.TRANSFER_FAILED, LedgerRefusal.DESTINATION_NOT_FOUND);
        }
        Account destination = lockedDestination.get();
        Optional<LedgerRefusal> refusal = checkDestination(transfer, destination);
        if (refusal.isPresent()) {
            return refused(transfer, Outcome.TRANSFER_FAILED, refusal.get());
        }

        long released = hold.amountMinor() - transfer.amountMinor();
        capture(transfer, hold, destination.accountId(), released);
        return applied(transfer, Outcome.TRANSFERRED, transfer.amountMinor(), released,
                List.copyOf(new TreeSet<>(List.of(hold.accountId(), destination.accountId()))));
    }

    private Optional<String> clearingAccountId(String currency) {
        return jdbc.sql("""
                SELECT account_id FROM accounts
                WHERE kind = 'CLEARING' AND currency = :currency AND status = 'ACTIVE'
                ORDER BY account_id LIMIT 1""")
                .param("currency", currency).query(String.class).optional();
    }

    private static Optional<LedgerRefusal> checkDestination(Transfer transfer, Account destination) {
        if (!destination.isActive()) {
            return Optional.of(LedgerRefusal.DESTINATION_NOT_ACTIVE);
        }
        if (!destination.currency().equals(transfer.currency())) {
            return Optional.of(LedgerRefusal.CURRENCY_MISMATCH);
        }
        if (transfer.destination() instanceof OwnAccount
                && (!"CUSTOMER".equals(destination.kind()) || !destination.ownerCustomerId().equals(transfer.payeeCustomerId()))) {
            return Optional.of(LedgerRefusal.DESTINATION_NOT_OWNED);
        }
        return Optional.empty();
    }

    /**
     * Captures the hold in one statement: the payer's balance and held amount (the whole hold leaves it, the
     * part not transferred back to available), the payee's balance, the hold closed, the balanced pair of
     * journal entries, and the part released taken off the day's outward use. Payer and payee may be one
     * account: its row is changed once, by both amounts.
     */
    private void capture(Transfer transfer, Hold hold, String destinationId, long released) {
        ExternalAccount external = transfer.destination() instanceof ExternalAccount e ? e : null;
        int outwardUseRows = jdbc.sql("""
                WITH moved AS (
                    UPDATE accounts
                    SET balance_minor = balance_minor + CASE WHEN account_id = :payer THEN -:amount ELSE 0 END
                                                      + CASE WHEN account_id = :payee THEN :amount ELSE 0 END,
                        held_minor = held_minor - CASE WHEN account_id = :payer THEN :held ELSE 0 END,
                        version = version + 1, updated_at = :now
                    WHERE account_id IN (:payer, :payee)),
                closed AS (
                    UPDATE holds SET state = 'CAPTURED', captured_minor = :amount, released_minor = :released,
                                     closed_at = :now
                    WHERE voucher_id = :voucher),
                journal AS (
                    INSERT INTO journal_transactions (kind, command_id, voucher_id,
                                                      external_bank, external_holder_name, external_account_number)
                    VALUES ('VOUCHER_REDEMPTION', :command, :voucher, :bank, :holder, :number)
                    RETURNING transaction_id),
                entries AS (
                    INSERT INTO journal_entries (transaction_id, account_id, amount_minor, currency)
                    SELECT journal.transaction_id, entry.account_id, entry.amount_minor, :currency
                    FROM journal, (VALUES (:payer, -:amount), (:payee, :amount)) AS entry (account_id, amount_minor))
                UPDATE daily_outward_use SET used_minor = used_minor - :released
                WHERE account_id = :payer AND business_date = :day""")
                .param("payer", hold.accountId()).param("payee", destinationId)
                .param("amount", transfer.amountMinor()).param("held", hold.amountMinor())
                .param("released", released).param("now", timestamp()).param("voucher", hold.voucherId())
                .param("command", transfer.commandId()).param("currency", transfer.currency())
                .param("bank", external == null ? null : external.bank())
                .param("holder", external == null ? null : external.holderName())
                .param("number", external == null ? null : external.accountNumber())
                .param("day", hold.businessDate()).update();
        requireOutwardUse(outwardUseRows, hold, released);
    }

    private Applied release(Release release) {
        Optional<Hold> found = lockHold(release.voucherId());
        if (found.isEmpty()) {
            return refused(release, Outcome.RELEASE_REFUSED, LedgerRefusal.HOLD_NOT_FOUND);
        }
        Hold hold = found.get();
        if (!hold.isHeld()) {
            return refused(release, Outcome.RELEASE_REFUSED, "CAPTURED".equals(hold.state())
                    ? LedgerRefusal.HOLD_ALREADY_CAPTURED : LedgerRefusal.HOLD_ALREADY_RELEASED);
        }
        // The account's lock first, as every command takes it before the day's outward use: the parts of one
        // statement below change their rows in no set order.
        lockAccount(hold.accountId());
        // The account's held amount, the hold closed and the day's outward use, in one statement.
        int outwardUseRows = jdbc.sql("""
                WITH freed AS (
                    UPDATE accounts SET held_minor = held_minor - :held, version = version + 1, updated_at = :now
                    WHERE account_id = :account),
                closed AS (
                    UPDATE holds SET state = 'RELEASED', captured_minor = 0, released_minor = :held, closed_at = :now
                    WHERE voucher_id = :voucher)
                UPDATE daily_outward_use SET used_minor = used_minor - :held
                WHERE account_id = :account AND business_date = :day""")
                .param("held", hold.amountMinor()).param("now", timestamp()).param("account", hold.accountId())
                .param("voucher", hold.voucherId()).param("day", hold.businessDate()).update();
        requireOutwardUse(outwardUseRows, hold, hold.amountMinor());
        return applied(release, Outcome.RELEASED, 0, hold.amountMinor(), List.of(hold.accountId()));
    }

    private Optional<Account> lockAccount(String accountId) {
        return jdbc.sql("SELECT * FROM accounts WHERE account_id = :id FOR UPDATE")
                .param("id", accountId).query(ACCOUNT).optional();
    }

    private Optional<Hold> lockHold(String voucherId) {
        return jdbc.sql("SELECT * FROM holds WHERE voucher_id = :voucher FOR UPDATE")
                .param("voucher", voucherId).query(HOLD).optional();
    }

    /**
     * Locks the accounts in id order, so that two transfers between the same accounts cannot deadlock: the ids'
     * byte order, whatever the database's collation, as every instance of every version orders them.
     */
    private List<Account> lockAccounts(String one, String other) {
        return jdbc.sql("""
                SELECT * FROM accounts WHERE account_id IN (:one, :other) ORDER BY account_id COLLATE "C" FOR UPDATE""")
                .param("one", one).param("other", other).query(ACCOUNT).list();
    }

    /**
     * The freeze that made a hold counted it in its business day's outward use, so closing the hold finds that
     * row to take the released part back from; without it the books disagree.
     */
    private static void requireOutwardUse(int rowsChanged, Hold hold, long releasedMinor) {
        if (rowsChanged != 1) {
            throw new IllegalStateException("No outward use of " + hold.accountId() + " on " + hold.businessDate()
                    + " to take " + releasedMinor + " back from");
        }
    }

    private Optional<Applied> processed(String commandId) {
        return jdbc.sql("SELECT * FROM processed_commands WHERE command_id = :id").param("id", commandId)
                .query((rs, row) -> new Applied(rs.getString("command_id"), rs.getString("voucher_id"),
                        Outcome.valueOf(rs.getString("outcome")), rs.getString("reason"),
                        rs.getLong("transferred_minor"), rs.getLong("released_minor"), affectedAccounts(rs),
                        rs.getTimestamp("processed_at").toInstant(), true))
                .optional();
    }

    private void record(Applied applied) {
        jdbc.sql("""
                INSERT INTO processed_commands (command_id, voucher_id, outcome, reason, transferred_minor,
                                                released_minor, affected_accounts, processed_at)
                VALUES (:command, :voucher, :outcome, :reason, :transferred, :released, :accounts, :at)""")
                .param("command", applied.commandId()).param("voucher", applied.voucherId())
                .param("outcome", applied.outcome().name()).param("reason", applied.reason())
                .param("transferred", applied.transferredMinor()).param("released", applied.releasedMinor())
                .param("accounts", applied.affectedAccounts().toArray(String[]::new))
                .param("at", java.sql.Timestamp.from(applied.processedAt()))
                .update();
    }

    private static List<String> affectedAccounts(ResultSet rs) throws SQLException {
        Array array = rs.getArray("affected_accounts");
        return Arrays.asList((String[]) array.getArray());
    }

    private Applied applied(LedgerCommand command, Outcome outcome, long transferred, long released,
                            List<String> accounts) {
        return new Applied(command.commandId(), command.voucherId(), outcome, null, transferred, released, accounts,
                now(), false);
    }

    private Applied refused(LedgerCommand command, Outcome outcome, LedgerRefusal refusal) {
        return new Applied(command.commandId(), command.voucherId(), outcome, refusal.name(), 0, 0, List.of(), now(), false);
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), bankZone);
    }

    private Instant now() {
        // PostgreSQL keeps microseconds: truncate so that a stored result reads back equal.
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }

    private java.sql.Timestamp timestamp() {
        return java.sql.Timestamp.from(now());
    }

    private record FreezeContext(boolean voucherHeld, long usedToday) {
    }

    private record Hold(String voucherId, String accountId, long amountMinor, String currency, String state,
                        LocalDate businessDate) {
        boolean isHeld() {
            return "HELD".equals(state);
        }
    }
}
