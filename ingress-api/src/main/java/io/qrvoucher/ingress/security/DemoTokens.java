package io.qrvoucher.ingress.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Signs the demo run's access tokens (HS256). A token says who the customer is ({@code sub}), that it
 * is meant for this API ({@code aud}), when they signed in ({@code auth_time}) and in which session
 * ({@code sid}, one per sign-in): a fresh sign-in is the step-up confirmation of a voucher.
 */
public final class DemoTokens {

    public static final Duration LIFETIME = Duration.ofHours(1);

    private final byte[] secret;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    public DemoTokens(byte[] secret, String issuer, String audience, Clock clock) {
        this.secret = secret.clone();
        this.issuer = issuer;
        this.audience = audience;
        this.clock = clock;
    }

    public String issue(String customerId) {
        Instant now = clock.instant();
        return sign(customerId, now, now.plus(LIFETIME), issuer, audience, secret);
    }

    /**
     * Signs any token: for the demo issuer, and for tests that need expired, forged or misdirected ones.
     *
     * @param audience the {@code aud} claim; {@code null} leaves it out
     */
    public static String sign(String subject, Instant issuedAt, Instant expiresAt, String issuer, String audience,
                              byte[] key) {
        return sign(subject, issuedAt, UUID.randomUUID().toString(), expiresAt, issuer, audience, key);
    }

    /**
     * Signs a token of the sign-in at {@code signedInAt} in session {@code session}: a new sign-in has a session of its
     * own (two in one second are still two), a token refreshed in it keeps both.
     */
    public static String sign(String subject, Instant signedInAt, String session, Instant expiresAt, String issuer,
                              String audience, byte[] key) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(subject)
                .issuer(issuer)
                .audience(audience)
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(signedInAt))
                .notBeforeTime(Date.from(signedInAt))
                .expirationTime(Date.from(expiresAt))
                .claim("auth_time", signedInAt.getEpochSecond())
                .claim("sid", session)
                .build();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(new MACSigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("Cannot sign a demo token", e);
        }
    }
}
