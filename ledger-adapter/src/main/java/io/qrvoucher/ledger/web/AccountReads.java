package io.qrvoucher.ledger.web;

import io.qrvoucher.avro.query.AccountList;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.kafka.CommandCodec;
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

    @Override
    public Mono<AccountList> accountsOf(String customerId) {
        return Mono.fromCallable(() -> new AccountList(ledger.accountsOf(customerId).stream()
                        .map(CommandCodec::snapshotOf).toList()))
                .subscribeOn(Schedulers.boundedElastic()); // JDBC blocks
    }
}
