package io.qrvoucher.support.reads;

import io.qrvoucher.avro.query.AccountList;
import reactor.core.publisher.Mono;

/**
 * What a ledger adapter answers the ingress from the ledger's database: its internal read API,
 * {@code GET /internal/customers/{customer}/accounts}. Asked over HTTP, or directly where both run in one
 * process (see {@link ColocatedOwners}). Any instance answers: they share the database.
 */
public interface LedgerReads {

    /** The customer's own accounts with their committed balances; none for a customer the bank has no account of. */
    Mono<AccountList> accountsOf(String customerId);
}
