package io.qrvoucher.ingress.api;

import java.time.Clock;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.security.DemoTokens;
import io.qrvoucher.ingress.security.SecurityConfiguration;
import io.qrvoucher.schemas.VoucherRules;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.security.SecurityRequirements;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Mono;

/** Demo sign-in, in the embedded demo run only (where a demo token key is configured). */
@RestController
@ConditionalOnProperty("ingress.security.demo-token-secret")
@Tag(name = "demo")
class DevTokenController {

    private final DemoTokens tokens;
    private final Customers customers;

    DevTokenController(IngressProperties properties, Customers customers, Clock clock) {
        this.tokens = new DemoTokens(SecurityConfiguration.demoKey(properties), properties.security().issuer(),
                properties.security().audience(), clock);
        this.customers = customers;
    }

    @PostMapping("/dev/token")
    @Operation(summary = "Sign in as a demo customer (alice, bob or carol): a token valid for an hour")
    // Open to anyone (SecurityConfiguration permits it), where the API's description asks every call for a token.
    // springdoc takes an empty list of requirements from this annotation, not from @Operation(security = {}).
    @SecurityRequirements
    Mono<Dtos.Token> token(@RequestBody Dtos.TokenRequest request) {
        // No customer can have such an id (a token could not name them): not a question for the ledger, which would
        // refuse it (a NUL in text, an id longer than its request line) and be taken as unavailable.
        if (!VoucherRules.isCustomerId(request.customerId())) {
            throw ApiException.unprocessable("UNKNOWN_CUSTOMER", "Name the demo customer to sign in as");
        }
        return customers.accountsOf(request.customerId())
                .filter(accounts -> !accounts.isEmpty())
                .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("UNKNOWN_CUSTOMER",
                        "No demo customer " + request.customerId())))
                .map(accounts -> new Dtos.Token(tokens.issue(request.customerId()), "Bearer",
                        DemoTokens.LIFETIME.toSeconds()));
    }
}
