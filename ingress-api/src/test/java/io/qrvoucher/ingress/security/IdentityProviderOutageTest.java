package io.qrvoucher.ingress.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.config.EnableWebFlux;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ports.FreePorts;

/** The identity provider out of reach is not the client's fault: a token that cannot be checked is answered 503. */
class IdentityProviderOutageTest {

    private final ReactiveWebApplicationContextRunner ingress = new ReactiveWebApplicationContextRunner()
            .withUserConfiguration(Properties.class, SecurityConfiguration.class, Api.class)
            .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class)) // problem details as the app writes them
            .withBean(Clock.class, Clock::systemUTC)
            .withPropertyValues("ingress.security.jwk-set-uri=http://127.0.0.1:" + FreePorts.next() + "/jwks");

    @Test
    void aTokenThatCannotBeCheckedIsAnswered503WithRetryAfterAndABadOne401() throws JOSEException {
        SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(),
                new JWTClaimsSet.Builder().subject("alice")
                        .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(5)))).build());
        token.sign(new RSASSASigner(new RSAKeyGenerator(2048).keyID("k1").generate()));

        ingress.run(context -> {
            WebTestClient client = WebTestClient.bindToApplicationContext(context).build();

            client.get().uri("/api/ping").header("Authorization", "Bearer " + token.serialize()).exchange()
                    .expectStatus().isEqualTo(503)
                    .expectHeader().exists("Retry-After")
                    .expectBody().jsonPath("$.code").isEqualTo("TEMPORARILY_UNAVAILABLE");
            client.get().uri("/api/ping").header("Authorization", "Bearer not.a.token").exchange()
                    .expectStatus().isUnauthorized()
                    .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");
        });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(IngressProperties.class)
    static class Properties {
    }

    @Configuration(proxyBeanMethods = false)
    @EnableWebFlux
    @RestController
    static class Api {
        @GetMapping("/api/ping")
        String ping() {
            return "pong";
        }
    }
}
