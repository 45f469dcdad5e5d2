package io.qrvoucher.ledger.core;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Opens accounts with an opening balance. The balance is a journal transaction from the bank's
 * capital account in that currency, so that the books balance from the first entry: the sum of all
 * balances in a currency is always zero. Opening an account that exists changes nothing.
 */
public class AccountOpening {

    public static final String BANK = "bank";

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;

    public AccountOpening(JdbcClient jdbc, TransactionTemplate transactions) {
        this.jdbc = jdbc;
        this.transactions = transactions;
    }

    public static String capitalAccount(String currency) {
        return "capital-" + currency.toLowerCase();
    }

    public static String clearingAccount(String currency) {
        return "clearing-" + currency.toLowerCase();
    }

    /** The capital account an opening balance comes from, and the clearing account for other banks. */
    public void openBankAccounts(String currency) {
        transactions.executeWithoutResult(status -> {
            insert(capitalAccount(currency), BANK, "CAPITAL", currency, 0);
            insert(clearingAccount(currency), BANK, "CLEARING", currency, 0);
        });
    }

    public void openCustomerAccount(String accountId, String customerId, String currency, long openingBalanceMinor,
                                    long dailyOutwardLimitMinor) {
        transactions.executeWithoutResult(status -> {
            insert(capitalAccount(currency), BANK, "CAPITAL", currency, 0);
            if (!insert(accountId, customerId, "CUSTOMER", currency, dailyOutwardLimitMinor) || openingBalanceMinor == 0) {
                return;
            }
            long transactionId = jdbc.sql("""
                    INSERT INTO journal_transactions (kind, command_id) VALUES ('OPENING', :command)
                    RETURNING transaction_id""")
                    .param("command", "opening/" + accountId).query(Long.class).single();
            post(transactionId, capitalAccount(currency), -openingBalanceMinor, currency);
            post(transactionId, accountId, openingBalanceMinor, currency);
        });
    }

    /** Sets an account's status or outward permission, as the bank's back office would. */
    public void restrict(String accountId, String status, boolean outwardTransfersAllowed) {
        jdbc.sql("""
                UPDATE accounts SET status = :status, outward_transfers_allowed = :outward, version = version + 1,
                                    updated_at = now()
                WHERE account_id = :id""")
                .param("status", status).param("outward", outwardTransfersAllowed).param("id", accountId).update();
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
