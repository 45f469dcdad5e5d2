package io.qrvoucher.ledger.web;

import java.util.List;

import io.qrvoucher.avro.query.AccountList;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.kafka.CommandCodec;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.reads.LedgerReads;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A customer's accounts as the ledger's database has them now, committed: what the ingress reads over
 * HTTP ({@link AccountQueryController}) or, in the same process, directly.
 */
public final class AccountReads implements LedgerReads {

    private final Ledger ledger;

    public AccountReads(Ledger ledger) {
        this.ledger = ledger;
    }

    /** None for an id no customer can have: one with a NUL, say, the database would refuse to compare. */
    @Override
    public Mono<AccountList> accountsOf(String customerId) {
        if (!VoucherRules.isCustomerId(customerId)) {
            return Mono.just(new AccountList(List.of()));
        }
        return Mono.fromCallable(() -> new AccountList(ledger.accountsOf(customerId).stream()
                        .map(CommandCodec::snapshotOf).toList()))
                .subscribeOn(Schedulers.boundedElastic()); // JDBC blocks
    }
}
