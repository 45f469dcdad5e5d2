package io.qrvoucher.ingress.api;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

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

    /** Accounts remembered at most: an entry is an id, an owner and a currency. */
    private static final int KNOWN_ACCOUNTS = 100_000;

    private final VoucherReads reads;
    private final AccountReads accounts;
    /**
     * The accounts met in customers' lists, by id. Whose an account is and its currency never change, so the
     * check that a customer acts on an own account asks the ledger only about an account not met before: a
     * new one, or someone else's. Neither balances nor status are kept: the ledger checks those itself when it
     * applies the command.
     */
    private final Cache<String, OwnedAccount> known = Caffeine.newBuilder().maximumSize(KNOWN_ACCOUNTS).build();

    Customers(VoucherReads reads, AccountReads accounts) {
        this.reads = reads;
        this.accounts = accounts;
    }

    /** An account of a customer's: what never changes about it. */
    record OwnedAccount(String accountId, String ownerId, String currency) {

        static OwnedAccount of(AccountSnapshot account) {
            return new OwnedAccount(account.getAccountId(), account.getOwnerCustomerId(), account.getCurrency());
        }

        /** This account, which must be in the currency. */
        OwnedAccount in(String wanted) {
            if (!currency.equals(wanted)) {
                throw ApiException.unprocessable("CURRENCY_MISMATCH", "Account " + accountId + " is in " + currency);
            }
            return this;
        }
    }

    Mono<CustomerSettings> settingsOf(String customerId) {
        return reads.settings(customerId).map(answer -> orDefaults(answer, customerId));
    }

    /** The settings, the defaults for a customer who never changed any. */
    private static CustomerSettings orDefaults(SettingsAnswer answer, String customerId) {
        return answer.getSettings() != null ? answer.getSettings() : CustomerSettings.newBuilder()
                .setCustomerId(customerId)
                .setUpdatedAt(Instant.EPOCH)
                .build();
    }

    /** The customer's own account of this id; the ledger is asked unless the account is known to be theirs. */
    Mono<OwnedAccount> ownAccount(String customerId, String accountId) {
        OwnedAccount remembered = known.getIfPresent(accountId);
        if (remembered != null && remembered.ownerId().equals(customerId)) {
            return Mono.just(remembered);
        }
        return listed(customerId, accountId).map(OwnedAccount::of);
    }

    /**
     * The customer's own account read from the ledger now, which must be active: for a default to use later, and for
     * a redemption's destination, where the ledger would refuse any other only when the money moves (and the voucher
     * be used up).
     */
    Mono<AccountSnapshot> openOwnAccount(String customerId, String accountId) {
        return listed(customerId, accountId)
                .map(account -> {
                    if (!isActive(account)) {
                        throw ApiException.unprocessable("ACCOUNT_NOT_ACTIVE",
                                "Account " + accountId + " is " + account.getStatus().toLowerCase(Locale.ROOT));
                    }
                    return account;
                });
    }

    /** The account as the ledger lists it among the customer's now; refused if it is not there. */
    private Mono<AccountSnapshot> listed(String customerId, String accountId) {
        return accountsOf(customerId)
                .flatMap(owned -> Mono.justOrEmpty(owned.stream()
                        .filter(account -> account.getAccountId().equals(accountId))
                        .findFirst()))
                .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("ACCOUNT_NOT_FOUND",
                        "You have no account " + accountId)));
    }

    /** The customer's own account, which must be in the currency. */
    Mono<OwnedAccount> ownAccountIn(String customerId, String accountId, String currency) {
        return ownAccount(customerId, accountId).map(account -> account.in(currency));
    }

    /** Whether the ledger takes money into and out of the account: not when it is closed (or restricted). */
    static boolean isActive(AccountSnapshot account) {
        return "ACTIVE".equals(account.getStatus());
    }

    /** The customer's accounts as the ledger has them now; what never changes about them is remembered. */
    Mono<List<AccountSnapshot>> accountsOf(String customerId) {
        return accounts.accountsOf(customerId)
                .doOnNext(owned -> owned.forEach(account -> known.put(account.getAccountId(), OwnedAccount.of(account))));
    }
}
