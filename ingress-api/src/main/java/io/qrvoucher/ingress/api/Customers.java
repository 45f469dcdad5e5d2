package io.qrvoucher.ingress.api;

import java.time.Instant;
import java.util.List;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.ingress.view.PipelineView;

/** A customer's settings and accounts, and the rule that a customer acts only on their own accounts. */
final class Customers {

    private final PipelineView view;

    Customers(PipelineView view) {
        this.view = view;
    }

    CustomerSettings settingsOf(String customerId) {
        return view.settings(customerId).orElseGet(() -> CustomerSettings.newBuilder()
                .setCustomerId(customerId)
                .setUpdatedAt(Instant.EPOCH)
                .build());
    }

    AccountSnapshot ownAccount(String customerId, String accountId) {
        return view.account(accountId)
                .filter(account -> account.getOwnerCustomerId().equals(customerId))
                .orElseThrow(() -> ApiException.unprocessable("ACCOUNT_NOT_FOUND", "You have no account " + accountId));
    }

    List<AccountSnapshot> accountsOf(String customerId) {
        return view.accountsOf(customerId);
    }
}
