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
        jdbc.sql("""
                INSERT INTO holds (voucher_id, account_id, amount_minor, currency, state, business_date)
                VALUES (:voucher, :account, :amount, :currency, 'HELD', :day)""")
                .param("voucher", freeze.voucherId()).param("account", account.accountId())
                .param("amount", freeze.amountMinor()).param("currency", freeze.currency())
                .param("day", day).update();
        changeAccount(account.accountId(), 0, freeze.amountMinor());
        changeOutwardUse(account.accountId(), day, freeze.amountMinor());
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
        if (hold(freeze.voucherId()).isPresent()) {
            return Optional.of(LedgerRefusal.VOUCHER_ALREADY_HELD);
        }
        long usedToday = jdbc.sql("""
                SELECT coalesce(max(used_minor), 0) FROM daily_outward_use
                WHERE account_id = :account AND business_date = :day""")
                .param("account", account.accountId()).param("day", day).query(Long.class).single();
        if (usedToday + freeze.amountMinor() > account.dailyOutwardLimitMinor()) {
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
        Optional<String> destinationId = destinationAccountId(transfer);
        if (destinationId.isEmpty()) {
            return refused(transfer, Outcome.TRANSFER_FAILED, transfer.destination() instanceof OwnAccount
                    ? LedgerRefusal.DESTINATION_NOT_FOUND : LedgerRefusal.CLEARING_ACCOUNT_MISSING);
        }
        // Lock both accounts in id order, so that two transfers between the same accounts cannot deadlock.
        for (String accountId : new TreeSet<>(List.of(hold.accountId(), destinationId.get()))) {
            lockAccount(accountId);
        }
        Account destination = account(destinationId.get()).orElseThrow();
        Optional<LedgerRefusal> refusal = checkDestination(transfer, destination);
        if (refusal.isPresent()) {
            return refused(transfer, Outcome.TRANSFER_FAILED, refusal.get());
        }

        long released = hold.amountMinor() - transfer.amountMinor();
        changeAccount(hold.accountId(), -transfer.amountMinor(), -hold.amountMinor());
        changeAccount(destination.accountId(), transfer.amountMinor(), 0);
        closeHold(hold, "CAPTURED", transfer.amountMinor(), released);
        changeOutwardUse(hold.accountId(), hold.businessDate(), -released);
        journal(transfer, hold, destination);
        return applied(transfer, Outcome.TRANSFERRED, transfer.amountMinor(), released,
                List.copyOf(new TreeSet<>(List.of(hold.accountId(), destination.accountId()))));
    }

    private Optional<String> destinationAccountId(Transfer transfer) {
        if (transfer.destination() instanceof OwnAccount own) {
            return account(own.accountId()).map(Account::accountId);
        }
        return jdbc.sql("""
                SELECT account_id FROM accounts
                WHERE kind = 'CLEARING' AND currency = :currency AND status = 'ACTIVE'
                ORDER BY account_id LIMIT 1""")
                .param("currency", transfer.currency()).query(String.class).optional();
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

    private void journal(Transfer transfer, Hold hold, Account destination) {
        ExternalAccount external = transfer.destination() instanceof ExternalAccount e ? e : null;
        long transactionId = jdbc.sql("""
                INSERT INTO journal_transactions (kind, command_id, voucher_id,
                                                  external_bank, external_holder_name, external_account_number)
                VALUES ('VOUCHER_REDEMPTION', :command, :voucher, :bank, :holder, :number)
                RETURNING transaction_id""")
                .param("command", transfer.commandId()).param("voucher", transfer.voucherId())
                .param("bank", external == null ? null : external.bank())
                .param("holder", external == null ? null : external.holderName())
                .param("number", external == null ? null : external.accountNumber())
                .query(Long.class).single();
        entry(transactionId, hold.accountId(), -transfer.amountMinor(), transfer.currency());
        entry(transactionId, destination.accountId(), transfer.amountMinor(), transfer.currency());
    }

    private void entry(long transactionId, String accountId, long amountMinor, String currency) {
        jdbc.sql("""
                INSERT INTO journal_entries (transaction_id, account_id, amount_minor, currency)
                VALUES (:transaction, :account, :amount, :currency)""")
                .param("transaction", transactionId).param("account", accountId)
                .param("amount", amountMinor).param("currency", currency).update();
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
        lockAccount(hold.accountId());
        changeAccount(hold.accountId(), 0, -hold.amountMinor());
        closeHold(hold, "RELEASED", 0, hold.amountMinor());
        changeOutwardUse(hold.accountId(), hold.businessDate(), -hold.amountMinor());
        return applied(release, Outcome.RELEASED, 0, hold.amountMinor(), List.of(hold.accountId()));
    }

    private Optional<Account> lockAccount(String accountId) {
        return jdbc.sql("SELECT * FROM accounts WHERE account_id = :id FOR UPDATE")
                .param("id", accountId).query(ACCOUNT).optional();
    }

    private Optional<Hold> hold(String voucherId) {
        return jdbc.sql("SELECT * FROM holds WHERE voucher_id = :voucher").param("voucher", voucherId).query(HOLD).optional();
    }

    private Optional<Hold> lockHold(String voucherId) {
        return jdbc.sql("SELECT * FROM holds WHERE voucher_id = :voucher FOR UPDATE")
                .param("voucher", voucherId).query(HOLD).optional();
    }

    private void changeAccount(String accountId, long balanceDelta, long heldDelta) {
        jdbc.sql("""
                UPDATE accounts SET balance_minor = balance_minor + :balance, held_minor = held_minor + :held,
                                    version = version + 1, updated_at = :now
                WHERE account_id = :id""")
                .param("balance", balanceDelta).param("held", heldDelta).param("now", timestamp())
                .param("id", accountId).update();
    }

    /**
     * Keeps the running total of the account's outward use on the hold's business day, under the
     * account's row lock. The freeze that made a hold created its day's row, so a decrease finds it.
     */
    private void changeOutwardUse(String accountId, LocalDate businessDate, long deltaMinor) {
        if (deltaMinor >= 0) {
            jdbc.sql("""
                    INSERT INTO daily_outward_use (account_id, business_date, used_minor) VALUES (:account, :day, :delta)
                    ON CONFLICT (account_id, business_date)
                    DO UPDATE SET used_minor = daily_outward_use.used_minor + excluded.used_minor""")
                    .param("account", accountId).param("day", businessDate).param("delta", deltaMinor).update();
        } else {
            int changed = jdbc.sql("""
                    UPDATE daily_outward_use SET used_minor = used_minor + :delta
                    WHERE account_id = :account AND business_date = :day""")
                    .param("account", accountId).param("day", businessDate).param("delta", deltaMinor).update();
            if (changed != 1) {
                // The freeze that made the hold counted it on this day; without that row the books disagree.
                throw new IllegalStateException("No outward use of " + accountId + " on " + businessDate
                        + " to take " + -deltaMinor + " back from");
            }
        }
    }

    private void closeHold(Hold hold, String state, long capturedMinor, long releasedMinor) {
        jdbc.sql("""
                UPDATE holds SET state = :state, captured_minor = :captured, released_minor = :released, closed_at = :now
                WHERE voucher_id = :voucher""")
                .param("state", state).param("captured", capturedMinor).param("released", releasedMinor)
                .param("now", timestamp()).param("voucher", hold.voucherId()).update();
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

    private record Hold(String voucherId, String accountId, long amountMinor, String currency, String state,
                        LocalDate businessDate) {
        boolean isHeld() {
            return "HELD".equals(state);
        }
    }
}
