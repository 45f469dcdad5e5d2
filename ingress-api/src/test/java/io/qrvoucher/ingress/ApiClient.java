package io.qrvoucher.ingress;

import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.qrvoucher.ingress.security.DemoTokens;

/** The API as one customer of the tests calls it: signed in, with small helpers for the common calls. */
final class ApiClient {

    static final String ISSUER = "https://auth.test";
    static final String AUDIENCE = "qrvoucher-api-test";
    static final byte[] TOKEN_KEY = "test-token-key-of-at-least-256-bits!!".getBytes();

    private static final Map<String, Long> LAST_SIGN_IN = new ConcurrentHashMap<>();

    private final WebTestClient http;
    private final String customerId;
    private String token;
    private Instant signedInAt;
    private String session;

    ApiClient(WebTestClient http, String customerId) {
        this.http = http;
        this.customerId = customerId;
        signInNow();
    }

    /**
     * A fresh sign-in: the step-up confirmation of one voucher. auth_time has a resolution of seconds
     * and each sign-in confirms one voucher, so this one waits for a second no sign-in of the
     * customer had.
     */
    ApiClient signIn() {
        long previous = LAST_SIGN_IN.getOrDefault(customerId, Long.MIN_VALUE);
        await().atMost(Duration.ofSeconds(2)).until(() -> Instant.now().getEpochSecond() > previous);
        return signInNow();
    }

    /** A token of a sign-in long past (still valid): what a thief has who took a token but not the password. */
    ApiClient signedInAgo(Duration ago) {
        Instant signedIn = Instant.now().minus(ago);
        token = DemoTokens.sign(customerId, signedIn, Instant.now().plus(Duration.ofHours(1)), ISSUER, AUDIENCE, TOKEN_KEY);
        return this;
    }

    /** A new token of the last sign-in, as an identity provider refreshes one: a new id, the same auth_time. */
    ApiClient refreshed() {
        token = DemoTokens.sign(customerId, signedInAt, session, Instant.now().plus(Duration.ofHours(1)), ISSUER,
                AUDIENCE, TOKEN_KEY);
        return this;
    }

    private ApiClient signInNow() {
        signedInAt = Instant.now();
        session = UUID.randomUUID().toString();
        LAST_SIGN_IN.merge(customerId, signedInAt.getEpochSecond(), Math::max);
        token = DemoTokens.sign(customerId, signedInAt, session, signedInAt.plus(Duration.ofHours(1)), ISSUER, AUDIENCE,
                TOKEN_KEY);
        return this;
    }

    String token() {
        return token;
    }

    WebTestClient.RequestHeadersSpec<?> get(String uri) {
        return http.get().uri(uri).headers(h -> h.setBearerAuth(token));
    }

    /** A GET of the path and query exactly as given, percent-encoding and all: no template, nothing encoded again. */
    WebTestClient.RequestHeadersSpec<?> getRaw(String pathAndQuery) {
        return http.get().uri(base -> URI.create(base.build().toString() + pathAndQuery))
                .headers(h -> h.setBearerAuth(token));
    }

    WebTestClient.RequestHeadersSpec<?> delete(String uri) {
        return http.delete().uri(uri).headers(h -> h.setBearerAuth(token));
    }

    WebTestClient.RequestBodySpec post(String uri) {
        return http.post().uri(uri).headers(h -> h.setBearerAuth(token)).contentType(MediaType.APPLICATION_JSON);
    }

    WebTestClient.RequestBodySpec put(String uri) {
        return http.put().uri(uri).headers(h -> h.setBearerAuth(token)).contentType(MediaType.APPLICATION_JSON);
    }

    /** Generates a voucher and waits for it to be issued; returns it. */
    @SuppressWarnings("unchecked")
    Map<String, Object> issuedVoucher(String amount) {
        Map<String, Object> voucher = post("/api/vouchers").header("Prefer", "wait=20")
                .bodyValue(Map.of("accountId", customerId + "-cny", "amount", amount, "currency", "CNY"))
                .exchange()
                .expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        if (!"UNUSED".equals(voucher.get("status"))) {
            throw new AssertionError("Voucher not issued: " + voucher);
        }
        return voucher;
    }

    String customerId() {
        return customerId;
    }
}
