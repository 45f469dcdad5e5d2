package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import io.qrvoucher.ingress.security.DemoTokens;

class AuthenticationTest extends IngressTestBase {

    @Test
    void anApiCallWithoutATokenIsRefusedWithAProblem() {
        http.get().uri("/api/accounts?size=5").exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED")
                .jsonPath("$.type").isEqualTo("urn:qrvoucher:problem:unauthenticated")
                // The path, as a controller's refusal gives it: not the host the client named, nor the query.
                .jsonPath("$.instance").isEqualTo("/api/accounts");
    }

    @Test
    void anApiCallNeitherReadsNorMakesAWebSession() {
        int before = CountedWebSessions.asked();

        alice.get("/api/accounts").exchange().expectStatus().isOk().expectBody(Void.class);
        alice.get("/api/vouchers").exchange().expectStatus().isOk().expectBody(Void.class);

        assertThat(CountedWebSessions.asked()).as("web sessions asked for").isEqualTo(before);
    }

    @Test
    void anExpiredTokenIsRefused() {
        Instant anHourAgo = Instant.now().minus(Duration.ofHours(2));
        String expired = DemoTokens.sign("alice", anHourAgo, anHourAgo.plus(Duration.ofHours(1)), ApiClient.ISSUER,
                ApiClient.AUDIENCE, ApiClient.TOKEN_KEY);

        http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(expired)).exchange()
                .expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");
    }

    /** A token without an expiry would never expire; one without a subject names no customer. */
    @Test
    void aTokenWithoutAnExpiryOrASubjectIsRefused() throws JOSEException {
        Instant now = Instant.now();
        JWTClaimsSet.Builder valid = new JWTClaimsSet.Builder().issuer(ApiClient.ISSUER).audience(ApiClient.AUDIENCE)
                .issueTime(Date.from(now)).claim("auth_time", now.getEpochSecond());
        String withAll = signed(valid.subject("alice").expirationTime(Date.from(now.plusSeconds(600))).build());
        http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(withAll)).exchange().expectStatus().isOk()
                .expectBody(Void.class);

        for (JWTClaimsSet claims : List.of(valid.subject("alice").expirationTime(null).build(),
                valid.subject(null).expirationTime(Date.from(now.plusSeconds(600))).build(),
                valid.subject(" ").build(), valid.subject("alice\u0000").build(), valid.subject("a".repeat(256)).build())) {
            String token = signed(claims);
            http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(token)).exchange()
                    .expectStatus().isUnauthorized()
                    .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");
        }
    }

    /**
     * When the customer signed in is read as a time where a sign-in must be fresh: one that is none failed there, a
     * 500, and one still to come was fresh for ever.
     */
    @Test
    void aTokenWhoseSignInTimeIsNoTimeOrStillToComeIsRefused() throws JOSEException {
        Instant now = Instant.now();
        JWTClaimsSet.Builder valid = new JWTClaimsSet.Builder().issuer(ApiClient.ISSUER).audience(ApiClient.AUDIENCE)
                .subject("alice").issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)));
        for (Object authTime : List.of("yesterday", List.of(1, 2), Map.of("at", 1),
                now.plus(Duration.ofDays(1)).getEpochSecond())) {
            String token = signed(valid.claim("auth_time", authTime).build());
            http.put().uri("/api/settings").headers(h -> h.setBearerAuth(token)).contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("stepUpPolicy", "FIRST_TIME_ONLY")).exchange()
                    .expectStatus().isUnauthorized()
                    .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");
        }
        String withoutOne = signed(valid.claim("auth_time", null).build());
        http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(withoutOne)).exchange().expectStatus().isOk()
                .expectBody(Void.class);
    }

    private static String signed(JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(ApiClient.TOKEN_KEY));
        return jwt.serialize();
    }

    @Test
    void aForgedTokenIsRefused() {
        String forged = DemoTokens.sign("alice", Instant.now(), Instant.now().plusSeconds(600), ApiClient.ISSUER,
                ApiClient.AUDIENCE, "someone-elses-key-of-at-least-256-bits!!".getBytes());

        http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(forged)).exchange()
                .expectStatus().isUnauthorized().expectBody(Void.class);
    }

    @Test
    void aTokenFromAnotherIssuerIsRefused() {
        String foreign = DemoTokens.sign("alice", Instant.now(), Instant.now().plusSeconds(600), "https://evil.example",
                ApiClient.AUDIENCE, ApiClient.TOKEN_KEY);

        http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(foreign)).exchange()
                .expectStatus().isUnauthorized().expectBody(Void.class);
    }

    @Test
    void aTokenWithoutTheApiAudienceIsRefusedWithAProblem() {
        String forAnyone = DemoTokens.sign("alice", Instant.now(), Instant.now().plusSeconds(600), ApiClient.ISSUER,
                null, ApiClient.TOKEN_KEY);
        String forAnotherService = DemoTokens.sign("alice", Instant.now(), Instant.now().plusSeconds(600),
                ApiClient.ISSUER, "bank-statements", ApiClient.TOKEN_KEY);

        for (String token : new String[] {forAnyone, forAnotherService}) {
            http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(token)).exchange()
                    .expectStatus().isUnauthorized()
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");
        }
    }

    @Test
    void aTruncatedTokenIsRefused() {
        String truncated = alice.token().substring(0, alice.token().length() - 10);

        http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(truncated)).exchange()
                .expectStatus().isUnauthorized().expectBody(Void.class);
    }

    @Test
    void theDemoRunSignsInItsDemoCustomers() {
        String token = (String) body(http.post().uri("/dev/token").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("customerId", "bob")).exchange().expectStatus().isOk()).get("accessToken");

        http.get().uri("/api/accounts").headers(h -> h.setBearerAuth(token)).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$[0].accountId").isEqualTo("bob-cny");
    }

    @Test
    void thereIsNoDemoTokenForAStranger() {
        http.post().uri("/dev/token").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("customerId", "mallory")).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("UNKNOWN_CUSTOMER");
    }

    /** Ids no customer can have are refused as such, not taken to the ledger, which refuses them as it cannot read them. */
    @Test
    void thereIsNoDemoTokenForAnIdNoCustomerCanHave() {
        for (String impossible : List.of("a\u0000b", "a".repeat(5_000), " ")) {
            http.post().uri("/dev/token").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("customerId", impossible)).exchange()
                    .expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("UNKNOWN_CUSTOMER");
        }
    }

    @Test
    void accountsShowBalanceHeldAndAvailableToTheirOwnerOnly() {
        // A customer of this test's own: the demo customers' balances move with the other classes' tests.
        String owner = "owner-" + java.util.UUID.randomUUID();
        RealPipeline.start().openAccount(owner + "-cny", owner, 12_34L);

        new ApiClient(http, owner).get("/api/accounts").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.length()").isEqualTo(1)
                .jsonPath("$[0].accountId").isEqualTo(owner + "-cny")
                .jsonPath("$[0].currency").isEqualTo("CNY")
                .jsonPath("$[0].balance").isEqualTo("12.34")
                .jsonPath("$[0].held").isEqualTo("0.00")
                .jsonPath("$[0].available").isEqualTo("12.34");
        carol.get("/api/accounts").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$[*].accountId").isEqualTo(List.of("carol-cny"));
    }
}
