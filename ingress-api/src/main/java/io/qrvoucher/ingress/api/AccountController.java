package io.qrvoucher.ingress.api;

import java.util.List;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Mono;

@RestController
@Tag(name = "accounts")
class AccountController {

    private final Customers customers;

    AccountController(Customers customers) {
        this.customers = customers;
    }

    @GetMapping("/api/accounts")
    @Operation(summary = "Your accounts: balance, held, available")
    Mono<List<Dtos.Account>> accounts(@AuthenticationPrincipal Jwt caller) {
        return customers.accountsOf(caller.getSubject())
                .map(accounts -> accounts.stream().map(Representations::account).toList());
    }
}
