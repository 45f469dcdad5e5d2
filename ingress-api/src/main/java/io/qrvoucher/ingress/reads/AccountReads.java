package io.qrvoucher.ingress.reads;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.springframework.web.reactive.function.client.WebClient;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.query.AccountList;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.reads.ColocatedOwners;
import io.qrvoucher.support.reads.LedgerReads;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A customer's accounts, read from their owner: the ledger adapter answers from the ledger's database,
 * so balances are the committed ones. Any ledger adapter instance answers; the next is asked when one
 * cannot. One in this process is asked directly.
 */
public class AccountReads {

    private static final AvroSerde<AccountList> ACCOUNT_LISTS = AvroSerde.of(AccountList.class);

    private final List<LedgerReads> ledgers;
    private final Duration timeout;

    public AccountReads(WebClient http, List<URI> ledgers, ColocatedOwners colocated, Duration timeout) {
        this.ledgers = ledgers.stream()
                .map(url -> colocated.ledgers().getOrDefault(url, overHttp(http, url)))
                .toList();
        this.timeout = timeout;
    }

    /** The customer's own accounts, by id; empty for a customer the bank has no account of. */
    public Mono<List<AccountSnapshot>> accountsOf(String customerId) {
        return Flux.fromIterable(ledgers)
                .concatMap(ledger -> ledger.accountsOf(customerId)
                        .timeout(timeout)
                        .map(AccountList::getItems)
                        .onErrorResume(e -> Mono.empty()))
                .next()
                .switchIfEmpty(Mono.error(() -> new VoucherReads.Unavailable("No ledger adapter answered for the accounts")));
    }

    private static LedgerReads overHttp(WebClient http, URI ledger) {
        return customerId -> http.get()
                .uri(ledger + "/internal/customers/{customer}/accounts", customerId)
                .retrieve()
                .bodyToMono(byte[].class)
                .map(ACCOUNT_LISTS::decode);
    }
}
