package io.qrvoucher.ledger.web;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.avro.query.AccountList;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.kafka.CommandCodec;
import io.qrvoucher.schemas.AvroSerde;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The internal read API of the ledger, for the ingress: a customer's accounts as the database has them
 * now, committed. Any instance answers, since they share the database.
 */
@RestController
class AccountQueryController {

    private static final MediaType AVRO = MediaType.parseMediaType("application/vnd.qrvoucher+avro");
    private static final AvroSerde<AccountList> ACCOUNT_LISTS = AvroSerde.of(AccountList.class);

    private final Ledger ledger;

    AccountQueryController(Ledger ledger) {
        this.ledger = ledger;
    }

    @GetMapping("/internal/customers/{customerId}/accounts")
    Mono<ResponseEntity<byte[]>> accountsOf(@PathVariable String customerId) {
        return Mono.fromCallable(() -> new AccountList(ledger.accountsOf(customerId).stream()
                        .map(CommandCodec::snapshotOf).toList()))
                .subscribeOn(Schedulers.boundedElastic()) // JDBC blocks
                .map(accounts -> ResponseEntity.ok().contentType(AVRO).body(ACCOUNT_LISTS.encode(accounts)));
    }
}
