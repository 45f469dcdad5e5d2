package io.qrvoucher.ledger.core;

import java.util.Locale;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Opens accounts with an opening balance: the one way accounts come into the ledger, for the demo's
 * seeder and the operators' admin API alike. The balance is a journal transaction from the bank's
 * capital account in that currency, so that the books balance from the first entry: the sum of all
 * balances in a currency is always zero. Opening an account that exists changes nothing.
 * <p>
 * It also closes a customer's account that holds nothing ({@link #closeCustomerAccount}): the row and its
 * journal stay, with status {@code CLOSED}, which the ledger's functions already refuse to freeze on or to pay
 * into.
 */
public class AccountOpening {

    public static final String BANK = "bank";

    private static final String CAPITAL_PREFIX = "capital-";
    private static final String CLEARING_PREFIX = "clearing-";

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;

    public AccountOpening(JdbcClient jdbc, TransactionTemplate transactions) {
        this.jdbc = jdbc;
        this.transactions = transactions;
    }

    public static String capitalAccount(String currency) {
        return CAPITAL_PREFIX + currency.toLowerCase(Locale.ROOT);
    }

    public static String clearingAccount(String currency) {
        return CLEARING_PREFIX + currency.toLowerCase(Locale.ROOT);
    }

    /** Ids of the form the bank's own accounts take: a customer's account under one would be funded from itself. */
    public static boolean isReservedForTheBank(String accountId) {
        return accountId.startsWith(CAPITAL_PREFIX) || accountId.startsWith(CLEARING_PREFIX);
    }

    /**
     * The terms an account is opened on, all of which a second opening of it must repeat.
     *
     * @param openingBalanceMinor what the opening credits it with, from the capital account; 0 for none
     */
    public record Terms(String accountId, String customerId, String currency, long openingBalanceMinor,
                        long dailyOutwardLimitMinor) {
    }

    /**
     * What an opening did.
     *
     * @param existing the terms the account was opened on: those asked for, unless it was open before
     *                 on others
     */
    public record Opening(Outcome outcome, Terms existing) {
    }

    public enum Outcome {
        OPENED,
        /** It was open already, on the same terms: nothing changed. */
        ALREADY_OPEN,
        /** It was open already, on other terms: nothing changed. */
        OPEN_ON_OTHER_TERMS
    }

    /**
     * What a closing did.
     *
     * @param account the account as the closing left it (closed), or as the refusal found it; none when
     *                there is no such account
     */
    public record Closing(ClosingOutcome outcome, Account account) {
    }

    public enum ClosingOutcome {
        CLOSED,
        /** It was closed already: nothing changed. */
        ALREADY_CLOSED,
        NOT_FOUND,
        /** One of the bank's own accounts, which openings and other banks' payees need: never closed. */
        NOT_A_CUSTOMER_ACCOUNT,
        /** Money is held on it for vouchers that are not settled yet: nothing changed. */
        FUNDS_HELD,
        /** Its balance is not zero: the money must be paid out first, or it would leave the books. Nothing changed. */
        BALANCE_NOT_ZERO
    }

    /** The capital account an opening balance comes from, and the clearing account for other banks. */
    public void openBankAccounts(String currency) {
        transactions.executeWithoutResult(status -> insertBankAccounts(currency));
    }

    /**
     * Opens a customer's account, with the bank's accounts in its currency if they are missing, and
     * credits its opening balance from the capital account, all in one database transaction.
     */
    public Opening openCustomerAccount(String accountId, String customerId, String currency, long openingBalanceMinor,
                                       long dailyOutwardLimitMinor) {
        if (isReservedForTheBank(accountId)) {
            throw new IllegalArgumentException(accountId + " is an id of the bank's own accounts");
        }
        if (openingBalanceMinor < 0 || dailyOutwardLimitMinor < 0) {
            throw new IllegalArgumentException("An opening balance and a daily limit are never negative");
        }
        Terms asked = new Terms(accountId, customerId, currency, openingBalanceMinor, dailyOutwardLimitMinor);
        return transactions.execute(status -> {
            // The customer's account first, so that a refused opening leaves no trace; a concurrent opening of
            // the same id waits here until the first one commits, then reads its terms.
            if (!insert(accountId, customerId, "CUSTOMER", currency, dailyOutwardLimitMinor)) {
                Terms existing = termsOf(accountId);
                return new Opening(asked.equals(existing) ? Outcome.ALREADY_OPEN : Outcome.OPEN_ON_OTHER_TERMS, existing);
            }
            insertBankAccounts(currency);
            if (openingBalanceMinor > 0) {
                long transactionId = jdbc.sql("""
                        INSERT INTO journal_transactions (kind, command_id) VALUES ('OPENING', :command)
                        RETURNING transaction_id""")
                        .param("command", openingCommand(accountId)).query(Long.class).single();
                post(transactionId, capitalAccount(currency), -openingBalanceMinor, currency);
                post(transactionId, accountId, openingBalanceMinor, currency);
            }
            return new Opening(Outcome.OPENED, asked);
        });
    }

    /**
     * Closes a customer's account if it holds nothing: no balance and no money held. The check and the change
     * are one database transaction under the account's row lock, the lock every freeze and every transfer into
     * the account takes first: one that comes after waits for the commit and finds the account closed
     * ({@code ACCOUNT_NOT_ACTIVE}, {@code DESTINATION_NOT_ACTIVE}); one that came before has committed its hold
     * or its credit, which this then finds. Closing a closed account changes nothing.
     */
    public Closing closeCustomerAccount(String accountId) {
        return transactions.execute(status -> {
            Optional<Account> found = jdbc.sql("SELECT * FROM accounts WHERE account_id = :id FOR UPDATE")
                    .param("id", accountId).query(Ledger.ACCOUNT).optional();
            if (found.isEmpty()) {
                return new Closing(ClosingOutcome.NOT_FOUND, null);
            }
            ClosingOutcome refusal = refusalToClose(found.get());
            if (refusal != null) {
                return new Closing(refusal, found.get());
            }
            Account closed = jdbc.sql("""
                    UPDATE accounts SET status = 'CLOSED', version = version + 1, updated_at = now()
                    WHERE account_id = :id
                    RETURNING *""")
                    .param("id", accountId).query(Ledger.ACCOUNT).single();
            return new Closing(ClosingOutcome.CLOSED, closed);
        });
    }

    /** Why a locked account is not to be closed now; none when it is. */
    private static ClosingOutcome refusalToClose(Account account) {
        if (!"CUSTOMER".equals(account.kind())) {
            return ClosingOutcome.NOT_A_CUSTOMER_ACCOUNT;
        }
        if ("CLOSED".equals(account.status())) {
            return ClosingOutcome.ALREADY_CLOSED;
        }
        // Held first: held money is part of the balance, and what the operator waits for is its vouchers settling.
        if (account.heldMinor() != 0) {
            return ClosingOutcome.FUNDS_HELD;
        }
        if (account.balanceMinor() != 0) {
            return ClosingOutcome.BALANCE_NOT_ZERO;
        }
        return null;
    }

    /** Sets an account's status or outward permission, as the bank's back office would. */
    public void restrict(String accountId, String status, boolean outwardTransfersAllowed) {
        jdbc.sql("""
                UPDATE accounts SET status = :status, outward_transfers_allowed = :outward, version = version + 1,
                                    updated_at = now()
                WHERE account_id = :id""")
                .param("status", status).param("outward", outwardTransfersAllowed).param("id", accountId).update();
    }

    private void insertBankAccounts(String currency) {
        insert(capitalAccount(currency), BANK, "CAPITAL", currency, 0);
        insert(clearingAccount(currency), BANK, "CLEARING", currency, 0);
    }

    private boolean insert(String accountId, String owner, String kind, String currency, long dailyLimit) {
        return jdbc.sql("""
                INSERT INTO accounts (account_id, owner_customer_id, kind, currency, balance_minor, status,
                                      outward_transfers_allowed, daily_outward_limit_minor)
                VALUES (:id, :owner, :kind, :currency, 0, 'ACTIVE', :outward, :limit)
                ON CONFLICT (account_id) DO NOTHING""")
                .param("id", accountId).param("owner", owner).param("kind", kind).param("currency", currency)
                .param("outward", "CUSTOMER".equals(kind)).param("limit", dailyLimit)
                .update() == 1;
    }

    /** The terms an existing account was opened on. */
    private Terms termsOf(String accountId) {
        return jdbc.sql("""
                SELECT a.account_id, a.owner_customer_id, a.currency, a.daily_outward_limit_minor,
                       coalesce((SELECT e.amount_minor FROM journal_entries e
                                 JOIN journal_transactions t ON t.transaction_id = e.transaction_id
                                 WHERE t.command_id = :command AND e.account_id = a.account_id), 0) AS opening_minor
                FROM accounts a WHERE a.account_id = :id""")
                .param("id", accountId).param("command", openingCommand(accountId))
                .query((rs, row) -> new Terms(rs.getString("account_id"), rs.getString("owner_customer_id"),
                        rs.getString("currency"), rs.getLong("opening_minor"), rs.getLong("daily_outward_limit_minor")))
                .single();
    }

    private static String openingCommand(String accountId) {
        return "opening/" + accountId;
    }

    private void post(long transactionId, String accountId, long amountMinor, String currency) {
        jdbc.sql("""
                INSERT INTO journal_entries (transaction_id, account_id, amount_minor, currency)
                VALUES (:transaction, :account, :amount, :currency)""")
                .param("transaction", transactionId).param("account", accountId).param("amount", amountMinor)
                .param("currency", currency).update();
        jdbc.sql("UPDATE accounts SET balance_minor = balance_minor + :amount, version = version + 1 WHERE account_id = :id")
                .param("amount", amountMinor).param("id", accountId).update();
    }
}
