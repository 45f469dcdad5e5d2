package io.qrvoucher.ingress.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.web.reactive.function.client.WebClient;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
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

    private static final Duration BOUND = Duration.ofSeconds(10);

    private final SteppedClock clock = new SteppedClock(Instant.parse("2026-12-05T09:00:00Z"));
    private final List<JWK> published = new CopyOnWriteArrayList<>();
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicBoolean providerDown = new AtomicBoolean();
    private HttpServer provider;
    private NimbusReactiveJwtDecoder decoder;

    @BeforeEach
    void startTheProvider() throws Exception {
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            if (providerDown.get()) {
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
        assertThat(subjectOf(tokenSignedBy(key, "k1"))).isEqualTo("alice");

        List<String> answers = Flux.range(0, 50)
                .flatMap(i -> decoder.decode(tokenSignedBy(key, UUID.randomUUID().toString())).map(jwt -> "believed")
                        .onErrorResume(JwtException.class, refused -> Mono.just("refused")))
                .collectList().block();

        assertThat(answers).hasSize(50).containsOnly("refused");
        assertThat(fetches).as("no fetch for them within the interval").hasValue(1);
        clock.step(IdentityProviderKeys.MIN_REFETCH);
        assertThatThrownBy(() -> subjectOf(tokenSignedBy(key, "k9"))).isInstanceOf(JwtException.class);
        assertThatThrownBy(() -> subjectOf(tokenSignedBy(key, "k10"))).isInstanceOf(JwtException.class);
        assertThat(fetches).as("one fetch for an unknown key once the interval passed").hasValue(2);
    }

    /** The first tokens all wait for one fetch, and each is believed, also one that looks as the fetch ends. */
    @Test
    void tokensArrivingTogetherBeforeAnyKeysShareOneFetch() throws Exception {
        RSAKey key = publish("k1");

        List<String> subjects = Flux.range(0, 40).flatMap(i -> decoder.decode(tokenSignedBy(key, "k1")).map(Jwt::getSubject))
                .collectList().block(BOUND);

        assertThat(subjects).hasSize(40).containsOnly("alice");
        assertThat(fetches).hasValue(1);
    }

    @Test
    void aKeyTheProviderRotatedInIsBelievedOnItsFirstTokenOnceTheLastFetchIsOldEnough() throws Exception {
        RSAKey first = publish("k1");
        subjectOf(tokenSignedBy(first, "k1"));
        clock.step(IdentityProviderKeys.MIN_REFETCH);

        RSAKey rotatedIn = publish("k2");
        assertThat(subjectOf(tokenSignedBy(rotatedIn, "k2"))).isEqualTo("alice");
        assertThat(fetches).hasValue(2);
    }

    /** The provider down for a while does not take the API down: the keys last fetched are kept, up to an hour. */
    @Test
    void knownKeysAreBelievedWhileTheProviderIsDownUpToTheirMaximumAge() throws Exception {
        RSAKey key = publish("k1");
        subjectOf(tokenSignedBy(key, "k1"));
        providerDown.set(true);
        clock.step(IdentityProviderKeys.REFRESH);

        assertThat(subjectOf(tokenSignedBy(key, "k1"))).isEqualTo("alice");
        await().atMost(BOUND).untilAsserted(() -> assertThat(fetches).as("a refresh, not awaited").hasValue(2));
        assertThat(subjectOf(tokenSignedBy(key, "k1"))).isEqualTo("alice");
        await().during(Duration.ofMillis(500)).atMost(BOUND).untilAsserted(() ->
                assertThat(fetches).as("no second refresh within the interval").hasValue(2));

        clock.step(IdentityProviderKeys.MAX_AGE);
        assertThatThrownBy(() -> subjectOf(tokenSignedBy(key, "k1"))).hasMessageContaining("keys");
    }

    @Test
    void aKeyTheProviderWithdrewIsNotBelievedOnceTheKeysAreRefreshed() throws Exception {
        RSAKey kept = publish("k1");
        RSAKey withdrawn = publish("k2");
        assertThat(subjectOf(tokenSignedBy(withdrawn, "k2"))).isEqualTo("alice");

        published.removeIf(key -> key.getKeyID().equals("k2"));
        clock.step(IdentityProviderKeys.REFRESH);
        subjectOf(tokenSignedBy(kept, "k1"));

        await().atMost(BOUND).untilAsserted(() -> assertThatThrownBy(() -> subjectOf(tokenSignedBy(withdrawn, "k2")))
                .isInstanceOf(JwtException.class));
    }

    @Test
    void aTokenOfAnotherAlgorithmIsRefusedWithoutAFetch() throws Exception {
        publish("k1");
        SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims());
        token.sign(new MACSigner(new byte[32]));

        assertThatThrownBy(() -> subjectOf(token.serialize())).isInstanceOf(JwtException.class);
        assertThat(fetches).hasValue(0);
    }

    @Test
    void withoutKeysAFailedFetchIsTriedAgainASecondLaterNotAtEveryToken() throws Exception {
        RSAKey key = publish("k1");
        providerDown.set(true);

        // Spring Security's decoder reports keys it could not obtain as an IllegalStateException.
        assertThatThrownBy(() -> subjectOf(tokenSignedBy(key, "k1"))).hasMessageContaining("keys");
        assertThatThrownBy(() -> subjectOf(tokenSignedBy(key, "k1"))).hasMessageContaining("keys");
        assertThat(fetches).hasValue(1);

        providerDown.set(false);
        clock.step(IdentityProviderKeys.RETRY_WITHOUT_KEYS);
        assertThat(subjectOf(tokenSignedBy(key, "k1"))).isEqualTo("alice");
        assertThat(fetches).hasValue(2);
    }

    private String subjectOf(String token) {
        return decoder.decode(token).block(BOUND).getSubject();
    }

    /** A new key pair, its public half published by the provider. */
    private RSAKey publish(String keyId) throws JOSEException {
        RSAKey key = new RSAKeyGenerator(2048).keyID(keyId).generate();
        published.add(key.toPublicJWK());
        return key;
    }

    private static JWTClaimsSet claims() {
        return new JWTClaimsSet.Builder().subject("alice")
                .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(5)))).build();
    }

    private static String tokenSignedBy(RSAKey key, String namedKeyId) {
        try {
            SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(namedKeyId).build(), claims());
            token.sign(new RSASSASigner(key));
            return token.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
