package io.qrvoucher.ledger.web;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.avro.query.AccountList;
import io.qrvoucher.ledger.core.DatabaseSilence;
import io.qrvoucher.schemas.AvroSerde;
import reactor.core.publisher.Mono;

/**
 * The internal read API of the ledger, for the ingress over HTTP: {@link AccountReads}' answers,
 * Avro-encoded. Any instance answers, since they share the database.
 */
@RestController
class AccountQueryController {

    private static final MediaType AVRO = MediaType.parseMediaType("application/vnd.qrvoucher+avro");
    private static final AvroSerde<AccountList> ACCOUNT_LISTS = AvroSerde.of(AccountList.class);

    private final AccountReads reads;

    AccountQueryController(AccountReads reads) {
        this.reads = reads;
    }

    @GetMapping("/internal/customers/{customerId}/accounts")
    Mono<ResponseEntity<?>> accountsOf(@PathVariable String customerId) {
        return reads.accountsOf(customerId)
                .<ResponseEntity<?>>map(accounts -> ResponseEntity.ok().contentType(AVRO).body(ACCOUNT_LISTS.encode(accounts)))
                .onErrorResume(DatabaseSilence::is,
                        silence -> Mono.just(DatabaseSilence.answer("a read of a customer's accounts", silence)));
    }
}
