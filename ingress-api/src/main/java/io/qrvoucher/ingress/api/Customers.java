package io.qrvoucher.ingress.api;

import java.time.Instant;
import java.util.List;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.ingress.reads.AccountReads;
import io.qrvoucher.ingress.reads.VoucherReads;
import reactor.core.publisher.Mono;

/**
 * A customer's settings and accounts, read from their owners, and the rule that a customer acts only on
 * their own accounts.
 */
final class Customers {

    private final VoucherReads reads;
    private final AccountReads accounts;

    Customers(VoucherReads reads, AccountReads accounts) {
        this.reads = reads;
        this.accounts = accounts;
    }

    Mono<CustomerSettings> settingsOf(String customerId) {
        return reads.settings(customerId).map(answer -> orDefaults(answer, customerId));
    }

    /** The settings, the defaults for a customer who never changed any. */
    static CustomerSettings orDefaults(SettingsAnswer answer, String customerId) {
        return answer.getSettings() != null ? answer.getSettings() : CustomerSettings.newBuilder()
                .setCustomerId(customerId)
                .setUpdatedAt(Instant.EPOCH)
                .build();
    }

    Mono<AccountSnapshot> ownAccount(String customerId, String accountId) {
        return accountsOf(customerId)
                .flatMap(owned -> Mono.justOrEmpty(owned.stream()
                        .filter(account -> account.getAccountId().equals(accountId)).findFirst()))
                .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("ACCOUNT_NOT_FOUND",
                        "You have no account " + accountId)));
    }

    /** The customer's own account, which must be in the currency. */
    Mono<AccountSnapshot> ownAccountIn(String customerId, String accountId, String currency) {
        return ownAccount(customerId, accountId).map(account -> inCurrency(account, currency));
    }

    static AccountSnapshot inCurrency(AccountSnapshot account, String currency) {
        if (!account.getCurrency().equals(currency)) {
            throw ApiException.unprocessable("CURRENCY_MISMATCH",
                    "Account " + account.getAccountId() + " is in " + account.getCurrency());
        }
        return account;
    }

    Mono<List<AccountSnapshot>> accountsOf(String customerId) {
        return accounts.accountsOf(customerId);
    }
}
