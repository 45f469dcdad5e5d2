package io.qrvoucher.ingress.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.web.reactive.function.client.WebClient;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;

import io.qrvoucher.time.SteppedClock;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The identity provider's keys: a rotated-in key is believed on its first token; made-up key ids cost no fetch each. */
class IdentityProviderKeysTest {

    private final SteppedClock clock = new SteppedClock(Instant.parse("2026-12-05T09:00:00Z"));
    private final List<JWK> published = new CopyOnWriteArrayList<>();
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicBoolean failFirstFetch = new AtomicBoolean();
    private HttpServer provider;
    private NimbusReactiveJwtDecoder decoder;

    @BeforeEach
    void startTheProvider() throws Exception {
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/jwks", exchange -> {
            if (fetches.incrementAndGet() == 1 && failFirstFetch.get()) {
                exchange.sendResponseHeaders(503, -1);
                exchange.close();
                return;
            }
            byte[] body = new JWKSet(published).toString(true).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        provider.start();
        decoder = NimbusReactiveJwtDecoder.withJwkSource(new IdentityProviderKeys(WebClient.create(),
                "http://127.0.0.1:" + provider.getAddress().getPort() + "/jwks", clock)).build();
    }

    @AfterEach
    void stopTheProvider() {
        provider.stop(0);
    }

    @Test
    void tokensNamingMadeUpKeysHaveTheKeysFetchedAtMostOnceAMinimumInterval() throws Exception {
        RSAKey key = publish("k1");
        assertThat(decoder.decode(tokenSignedBy(key, "k1")).block().getSubject()).isEqualTo("alice");

        List<String> answers = Flux.range(0, 50)
                .flatMap(i -> decoder.decode(tokenSignedBy(key, UUID.randomUUID().toString())).map(jwt -> "believed")
                        .onErrorResume(JwtException.class, refused -> Mono.just("refused")))
                .collectList().block();

        assertThat(answers).hasSize(50).containsOnly("refused");
        assertThat(fetches).as("no fetch for them within the interval").hasValue(1);
        clock.step(IdentityProviderKeys.MIN_REFETCH);
        assertThatThrownBy(() -> decoder.decode(tokenSignedBy(key, "k9")).block()).isInstanceOf(JwtException.class);
        assertThatThrownBy(() -> decoder.decode(tokenSignedBy(key, "k10")).block()).isInstanceOf(JwtException.class);
        assertThat(fetches).as("one fetch for an unknown key once the interval passed").hasValue(2);
    }

    @Test
    void aKeyTheProviderRotatedInIsBelievedOnItsFirstTokenOnceTheLastFetchIsOldEnough() throws Exception {
        RSAKey first = publish("k1");
        decoder.decode(tokenSignedBy(first, "k1")).block();
        clock.step(IdentityProviderKeys.MIN_REFETCH);

        RSAKey rotatedIn = publish("k2");
        assertThat(decoder.decode(tokenSignedBy(rotatedIn, "k2")).block().getSubject()).isEqualTo("alice");
        assertThat(fetches).hasValue(2);
    }

    @Test
    void aFetchThatFailedIsTriedAgainByALaterToken() throws Exception {
        RSAKey key = publish("k1");
        failFirstFetch.set(true);

        // Spring Security's decoder reports keys it could not obtain as an IllegalStateException.
        assertThatThrownBy(() -> decoder.decode(tokenSignedBy(key, "k1")).block()).hasMessageContaining("keys");
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(decoder.decode(tokenSignedBy(key, "k1")).map(jwt -> jwt.getSubject())
                        .onErrorResume(IllegalStateException.class, unobtained -> Mono.just("no keys")).block())
                        .isEqualTo("alice"));
    }

    /** A new key pair, its public half published by the provider. */
    private RSAKey publish(String keyId) throws JOSEException {
        RSAKey key = new RSAKeyGenerator(2048).keyID(keyId).generate();
        published.add(key.toPublicJWK());
        return key;
    }

    private static String tokenSignedBy(RSAKey key, String namedKeyId) {
        try {
            SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(namedKeyId).build(),
                    new JWTClaimsSet.Builder().subject("alice")
                            .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(5)))).build());
            token.sign(new RSASSASigner(key));
            return token.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
