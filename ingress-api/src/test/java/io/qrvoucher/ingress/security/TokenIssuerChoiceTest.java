package io.qrvoucher.ingress.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

import io.qrvoucher.ingress.IngressProperties;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Which tokens the ingress believes is decided once, at start: never two issuers at a time. */
class TokenIssuerChoiceTest {

    private static final String DEMO_KEY = "dGVzdC10b2tlbi1rZXktb2YtYXQtbGVhc3QtMjU2LWJpdHMhIQ==";

    private final ReactiveWebApplicationContextRunner ingress = new ReactiveWebApplicationContextRunner()
            .withUserConfiguration(Properties.class, SecurityConfiguration.class)
            .withBean(ObjectMapper.class, () -> JsonMapper.builder().build())
            .withBean(Clock.class, Clock::systemUTC);

    @Test
    void aDemoTokenKeyBesideTheBanksKeySetRefusesToStart() {
        ingress.withPropertyValues("ingress.security.demo-token-secret=" + DEMO_KEY,
                        "ingress.security.jwk-set-uri=https://auth.bank.example/jwks")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("ingress.security.demo-token-secret")
                        .hasMessageContaining("ingress.security.jwk-set-uri"));
    }

    @Test
    void eitherAloneStarts() {
        ingress.withPropertyValues("ingress.security.demo-token-secret=" + DEMO_KEY)
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ReactiveJwtDecoder.class));
        ingress.withPropertyValues("ingress.security.jwk-set-uri=https://auth.bank.example/jwks")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ReactiveJwtDecoder.class));
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(IngressProperties.class)
    static class Properties {
    }
}
