package io.qrvoucher.ledger.admin;

import java.time.Instant;

import io.qrvoucher.ledger.core.Account;
import io.qrvoucher.schemas.DecimalAmounts;

/** An account as operators see it: amounts as decimal strings at the currency's scale. */
record AccountView(String accountId, String customerId, String kind, String currency, String balance, String held,
                   String available, String status, boolean outwardTransfersAllowed, String dailyOutwardLimit,
                   long version, Instant updatedAt) {

    static AccountView of(Account account) {
        String currency = account.currency();
        return new AccountView(account.accountId(), account.ownerCustomerId(), account.kind(), currency,
                DecimalAmounts.format(account.balanceMinor(), currency),
                DecimalAmounts.format(account.heldMinor(), currency),
                DecimalAmounts.format(account.availableMinor(), currency),
                account.status(), account.outwardTransfersAllowed(),
                DecimalAmounts.format(account.dailyOutwardLimitMinor(), currency),
                account.version(), account.updatedAt());
    }
}
