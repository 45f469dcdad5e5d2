package io.qrvoucher.ingress.api;

import java.time.Clock;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.security.DemoTokens;
import io.qrvoucher.ingress.security.SecurityConfiguration;
import io.qrvoucher.ingress.view.PipelineView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** Demo sign-in, in the embedded demo run only (where a demo token key is configured). */
@RestController
@ConditionalOnProperty("ingress.security.demo-token-secret")
@Tag(name = "demo")
class DevTokenController {

    private final DemoTokens tokens;
    private final PipelineView view;

    DevTokenController(IngressProperties properties, PipelineView view, Clock clock) {
        this.tokens = new DemoTokens(SecurityConfiguration.demoKey(properties), properties.security().issuer(), clock);
        this.view = view;
    }

    @PostMapping("/dev/token")
    @Operation(summary = "Sign in as a demo customer (alice, bob or carol): a token valid for an hour")
    Dtos.Token token(@RequestBody Dtos.TokenRequest request) {
        if (request.customerId() == null || view.accountsOf(request.customerId()).isEmpty()) {
            throw ApiException.unprocessable("UNKNOWN_CUSTOMER", "No demo customer " + request.customerId());
        }
        return new Dtos.Token(tokens.issue(request.customerId()), "Bearer", DemoTokens.LIFETIME.toSeconds());
    }
}
