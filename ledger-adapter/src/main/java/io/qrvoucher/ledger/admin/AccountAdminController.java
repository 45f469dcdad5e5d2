package io.qrvoucher.ledger.admin;

import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.Account;
import io.qrvoucher.ledger.core.AccountOpening;
import io.qrvoucher.ledger.core.AccountOpening.Closing;
import io.qrvoucher.ledger.core.AccountOpening.ClosingOutcome;
import io.qrvoucher.ledger.core.AccountOpening.Opening;
import io.qrvoucher.ledger.core.AccountOpening.Outcome;
import io.qrvoucher.ledger.core.AccountOpening.Terms;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.kafka.ResultPublisher;
import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.schemas.VoucherRules;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Operators open, read and close customers' accounts. An opening goes the one way accounts are opened
 * ({@link AccountOpening}: the opening balance from the capital account, one balanced journal
 * transaction) and is idempotent: the same opening again answers the account, another one for the same
 * id is refused, and so is one of an account that was closed (ids are not reused). A closing closes an account
 * that holds nothing, and is idempotent too. Where {@code account-snapshots} is published, the snapshots of the
 * account and of the bank's accounts it touched are then published to it, as after every change of the ledger,
 * on each such answer, so that a request retried after a lost answer publishes them too.
 */
@RestController
@RequestMapping("/admin/accounts")
class AccountAdminController {

    private static final Logger log = LoggerFactory.getLogger(AccountAdminController.class);

    /** A misspelt field is refused, never skipped: "openingbalance" must not open an account without its money. */
    private static final JsonMapper STRICT_JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final AccountOpening opening;
    private final Ledger ledger;
    private final ResultPublisher publisher;
    private final LedgerProperties.Admin admin;

    AccountAdminController(AccountOpening opening, Ledger ledger, ResultPublisher publisher, LedgerProperties properties) {
        this.opening = opening;
        this.ledger = ledger;
        this.publisher = publisher;
        this.admin = properties.admin();
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<AccountView>> open(@RequestBody String body, Principal operator) {
        Terms asked = read(body).terms(admin.defaultDailyOutwardLimit());
        return blocking(() -> {
            Opening opened = opening.openCustomerAccount(asked.accountId(), asked.customerId(), asked.currency(),
                    asked.openingBalanceMinor(), asked.dailyOutwardLimitMinor());
            // A closed account's id, on its terms or others: answered as open, the operator would take it for usable.
            if (opened.outcome() != Outcome.OPENED && isClosed(asked.accountId())) {
                throw AdminProblem.conflict("ACCOUNT_CLOSED", "Account " + asked.accountId()
                        + " was closed; the id of a closed account is not used again. Nothing changed");
            }
            if (opened.outcome() == Outcome.OPEN_ON_OTHER_TERMS) {
                log.info("Operator {} asked to open account {} on other terms than it has; refused", operator.getName(),
                        asked.accountId());
                throw AdminProblem.conflict("ACCOUNT_OPEN_ON_OTHER_TERMS", "Account " + asked.accountId()
                        + " is open already, " + describe(opened.existing()) + "; this asked for one "
                        + describe(asked) + ". Nothing changed");
            }
            // Logged as soon as it is committed: the log is the opening's one record of its operator, and a publish or
            // read that fails next would leave it unwritten (the retry finds the account open, and logs nothing).
            if (opened.outcome() == Outcome.OPENED) {
                log.info("Operator {} opened account {} {}", operator.getName(), asked.accountId(), describe(asked));
            }
            publisher.publishSnapshots(List.of(asked.accountId(), AccountOpening.capitalAccount(asked.currency()),
                    AccountOpening.clearingAccount(asked.currency())));
            AccountView account = AccountView.of(ledger.account(asked.accountId()).orElseThrow());
            if (opened.outcome() == Outcome.ALREADY_OPEN) {
                return ResponseEntity.ok(account);
            }
            return ResponseEntity.created(URI.create("/admin/accounts/" + asked.accountId())).body(account);
        });
    }

    @GetMapping("/{accountId}")
    Mono<AccountView> account(@PathVariable String accountId) {
        return blocking(() -> Optional.of(accountId).filter(OpeningRequest::isAccountId).flatMap(ledger::account)
                .map(AccountView::of)
                .orElseThrow(() -> AdminProblem.notFound("No account " + accountId)));
    }

    /**
     * Closes a customer's account: 200 with it, closed (also when it was closed before); 409 while it has money
     * held for vouchers ({@code ACCOUNT_HAS_HOLDS}) or a balance ({@code ACCOUNT_HAS_BALANCE}), 422 for the
     * bank's own accounts, 404 for none. A DELETE, with no body: a cross-site page cannot send one without a CORS
     * preflight, which this API never answers. The account stays, with its journal, readable as {@code CLOSED}.
     */
    @DeleteMapping("/{accountId}")
    Mono<AccountView> close(@PathVariable String accountId, Principal operator) {
        return blocking(() -> {
            if (!OpeningRequest.isAccountId(accountId)) {
                throw AdminProblem.notFound("No account " + accountId);
            }
            Closing closing = opening.closeCustomerAccount(accountId);
            AdminProblem refusal = refusal(closing, accountId);
            if (refusal != null) {
                log.info("Operator {} asked to close account {}; refused: {}", operator.getName(), accountId,
                        closing.outcome());
                throw refusal;
            }
            if (closing.outcome() == ClosingOutcome.CLOSED) {
                log.info("Operator {} closed account {}", operator.getName(), accountId); // as committed (see open)
            }
            publisher.publishSnapshots(List.of(accountId));
            return AccountView.of(closing.account());
        });
    }

    /** A customer's accounts, by id. */
    @GetMapping
    Mono<List<AccountView>> accountsOf(@RequestParam String customerId) {
        return blocking(() -> VoucherRules.isCustomerId(customerId)
                ? ledger.accountsOf(customerId).stream().map(AccountView::of).toList() : List.of());
    }

    private static OpeningRequest read(String body) {
        OpeningRequest request;
        try {
            request = STRICT_JSON.readValue(body, OpeningRequest.class);
        } catch (JacksonException e) {
            throw AdminProblem.malformed("The body is not an opening: " + e.getOriginalMessage());
        }
        if (request == null) {
            throw AdminProblem.malformed("The body is not an opening: null");
        }
        return request;
    }

    private boolean isClosed(String accountId) {
        return ledger.account(accountId).map(Account::status).filter("CLOSED"::equals).isPresent();
    }

    /** The problem a closing that changed nothing answers with; none when the account is closed. */
    private static AdminProblem refusal(Closing closing, String accountId) {
        Account account = closing.account();
        return switch (closing.outcome()) {
            case CLOSED, ALREADY_CLOSED -> null;
            case NOT_FOUND -> AdminProblem.notFound("No account " + accountId);
            case NOT_A_CUSTOMER_ACCOUNT -> AdminProblem.unprocessable("NOT_A_CUSTOMER_ACCOUNT", "Account " + accountId
                    + " is one of the bank's own accounts, which are never closed. Nothing changed");
            case FUNDS_HELD -> AdminProblem.conflict("ACCOUNT_HAS_HOLDS", "Account " + accountId + " has "
                    + DecimalAmounts.format(account.heldMinor(), account.currency())
                    + " held for vouchers not settled yet; close it once they are. Nothing changed");
            case BALANCE_NOT_ZERO -> AdminProblem.conflict("ACCOUNT_HAS_BALANCE", "Account " + accountId
                    + " has a balance of " + DecimalAmounts.format(account.balanceMinor(), account.currency())
                    + "; pay it out before closing it. Nothing changed");
        };
    }

    private static String describe(Terms terms) {
        return "for customer " + terms.customerId() + " in " + terms.currency() + " with opening balance "
                + DecimalAmounts.format(terms.openingBalanceMinor(), terms.currency()) + " and daily outward limit "
                + DecimalAmounts.format(terms.dailyOutwardLimitMinor(), terms.currency());
    }

    /** JDBC and the wait for the broker block: never on the server's event loop. */
    private static <T> Mono<T> blocking(Callable<T> work) {
        return Mono.fromCallable(work).subscribeOn(Schedulers.boundedElastic());
    }
}
