package io.qrvoucher.ledger.core;

import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;

import io.qrvoucher.ledger.core.Applied.Outcome;
import io.qrvoucher.ledger.core.LedgerCommand.ExternalAccount;
import io.qrvoucher.ledger.core.LedgerCommand.Freeze;
import io.qrvoucher.ledger.core.LedgerCommand.OwnAccount;
import io.qrvoucher.ledger.core.LedgerCommand.Transfer;
import io.qrvoucher.schemas.VoucherRules;

/**
 * The bank's ledger in PostgreSQL. Each command is applied by one database function (see the migration
 * {@code V5__command_functions.sql}), called as a statement of its own, which PostgreSQL runs in a transaction of
 * its own and commits before it answers (autocommit): one round trip, where a transaction begun and committed by the
 * client took two. The function takes a lock on its voucher (so that two instances given the same command apply it
 * one after the other), answers a command applied before from {@code processed_commands}, and otherwise checks the
 * rules and changes accounts, holds and the journal under row locks and records the result — all or nothing. Money
 * is never created or destroyed: a transfer is a balanced pair of journal entries, which the database itself checks
 * at commit.
 */
public class Ledger {

    /** An account row; also read by {@link AccountOpening} for the closing it locks. */
    static final RowMapper<Account> ACCOUNT = (rs, row) -> new Account(rs.getString("account_id"),
            rs.getString("owner_customer_id"), rs.getString("kind"), rs.getString("currency"),
            rs.getLong("balance_minor"), rs.getLong("held_minor"), rs.getString("status"),
            rs.getBoolean("outward_transfers_allowed"), rs.getLong("daily_outward_limit_minor"),
            rs.getLong("version"), rs.getTimestamp("updated_at").toInstant());

    private final JdbcClient jdbc;
    private final ZoneId bankZone;
    private final Clock clock;

    /** @param jdbc on connections in autocommit mode, the pool's default: each command commits as it is answered */
    public Ledger(JdbcClient jdbc, ZoneId bankZone, Clock clock) {
        this.jdbc = jdbc;
        this.bankZone = bankZone;
        this.clock = clock;
    }

    /**
     * The ledger on a pool whose connections commit each statement as it is answered, or none: a command's function
     * is one statement that nothing else commits, so on a pool set not to (a tuning tip some pools' guides give) its
     * result would be published and its work rolled back when the connection went back to the pool. Its statements
     * are cancelled after {@code statementTimeout}: one waiting on a row another transaction holds (an operator's, a
     * stuck session's) kept the listener's thread past Kafka's {@code max.poll.interval.ms}, its partitions stalled
     * and a transfer's give-up never started, since only a failure starts it; one whose database goes silent fails
     * after twice that ({@link BoundedStatements}).
     *
     * @throws IllegalStateException if a connection of the pool is not in autocommit mode
     */
    public static Ledger onAutocommit(DataSource dataSource, ZoneId bankZone, Clock clock, Duration statementTimeout) {
        try (Connection connection = dataSource.getConnection()) {
            if (!connection.getAutoCommit()) {
                throw new IllegalStateException("The ledger's connections must commit each statement (autocommit, the "
                        + "pool's default): each ledger command is one statement that commits as it is answered");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not ask the ledger's database whether it commits each statement", e);
        }
        return new Ledger(BoundedStatements.on(dataSource, statementTimeout).jdbcClient(), bankZone, clock);
    }

    /** Applies the command once; a command applied before returns its stored result. */
    public Applied apply(LedgerCommand command) {
        if (command instanceof Freeze freeze) {
            if (freeze.amountMinor() <= 0 || VoucherRules.iso4217(freeze.currency()).isEmpty()) {
                return refuse(freeze, Outcome.FREEZE_REFUSED, LedgerRefusal.INVALID_COMMAND);
            }
            // One business day for the check, the hold and the running total, even across midnight.
            return call(freeze, jdbc.sql("""
                    SELECT * FROM ledger_freeze(:command, :voucher, :customer, :account, :amount, :currency, :day, :now)""")
                    .param("customer", freeze.customerId()).param("account", freeze.accountId())
                    .param("amount", freeze.amountMinor()).param("currency", freeze.currency()).param("day", today()));
        }
        if (command instanceof Transfer transfer) {
            OwnAccount own = transfer.destination() instanceof OwnAccount account ? account : null;
            ExternalAccount external = transfer.destination() instanceof ExternalAccount account ? account : null;
            return call(transfer, jdbc.sql("""
                    SELECT * FROM ledger_transfer(:command, :voucher, :amount, :currency, :payee, :own, :bank, :holder,
                                                  :number, :now)""")
                    .param("amount", transfer.amountMinor()).param("currency", transfer.currency())
                    .param("payee", transfer.payeeCustomerId()).param("own", own == null ? null : own.accountId())
                    .param("bank", external == null ? null : external.bank())
                    .param("holder", external == null ? null : external.holderName())
                    .param("number", external == null ? null : external.accountNumber()));
        }
        return call(command, jdbc.sql("SELECT * FROM ledger_release(:command, :voucher, :now)"));
    }

    /**
     * Settles a transfer the adapter gives up on without applying it: the stored result if the
     * transfer was applied before (its commit may have happened although no answer came back), and
     * otherwise a refusal for {@code reason}, stored like any result — so that a later delivery of
     * the transfer is answered with the refusal and never moves the money. One transaction, under
     * the voucher's lock like {@link #apply}.
     */
    public Applied refuseTransfer(Transfer transfer, LedgerRefusal reason) {
        return refuse(transfer, Outcome.TRANSFER_FAILED, reason);
    }

    /**
     * Settles a freeze the database cannot take (its data: see {@code LedgerCommandListener}) without holding
     * anything: the stored result if it was applied before, otherwise a refusal for {@code reason}, as
     * {@link #refuseTransfer} does for a transfer.
     */
    public Applied refuseFreeze(Freeze freeze, LedgerRefusal reason) {
        return refuse(freeze, Outcome.FREEZE_REFUSED, reason);
    }

    private Applied refuse(LedgerCommand command, Outcome outcome, LedgerRefusal reason) {
        return call(command, jdbc.sql("SELECT * FROM ledger_refuse(:command, :voucher, :outcome, :reason, :now)")
                .param("outcome", outcome.name()).param("reason", reason.name()));
    }

    /** Calls a command's function, committed as it answers, with the parameters every one of them takes. */
    private Applied call(LedgerCommand command, JdbcClient.StatementSpec function) {
        return function
                .param("command", command.commandId()).param("voucher", command.voucherId())
                .param("now", java.sql.Timestamp.from(now()))
                .query((rs, row) -> new Applied(command.commandId(), command.voucherId(),
                        Outcome.valueOf(rs.getString("outcome")), rs.getString("reason"),
                        rs.getLong("transferred_minor"), rs.getLong("released_minor"), affectedAccounts(rs),
                        rs.getTimestamp("processed_at").toInstant(), rs.getBoolean("redelivered")))
                .single();
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

    private static List<String> affectedAccounts(ResultSet rs) throws SQLException {
        Array array = rs.getArray("affected_accounts");
        return Arrays.asList((String[]) array.getArray());
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), bankZone);
    }

    private Instant now() {
        // PostgreSQL keeps microseconds: truncate so that a stored result reads back equal.
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }
}
