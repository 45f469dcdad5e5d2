package io.qrvoucher.ingress.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.springframework.http.HttpStatus;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * What a sign-in counts for. A sensitive action — confirming a voucher under step-up, weakening a
 * security setting — needs a fresh one: a token whose {@code auth_time} is within
 * {@code ingress.security.step-up-max-age}. A token stolen later than that, without the password,
 * can do neither.
 */
final class SignIns {

    private static final String STEP_UP_REQUIRED = "STEP_UP_REQUIRED";

    private final Duration maxAge;

    SignIns(Duration maxAge) {
        this.maxAge = maxAge;
    }

    /** When the caller signed in, if that was recent enough for a sensitive action. */
    Optional<Instant> fresh(Jwt caller, Instant now) {
        Instant authTime = caller.getClaimAsInstant("auth_time");
        return authTime == null || authTime.isBefore(now.minus(maxAge)) ? Optional.empty() : Optional.of(authTime);
    }

    /**
     * The sign-in a token stands for: when the customer entered their password ({@code auth_time}), in their session
     * ({@code sid}) where the token names one. Not the token's own id: an identity provider refreshes a token
     * without a password, with a new {@code jti} and the same {@code auth_time}, and each refreshed token would
     * confirm one voucher more.
     */
    static String idOf(Jwt caller) {
        String session = caller.getClaimAsString("sid");
        return (session != null ? "sid " + session + " " : "") + "auth_time " + caller.getClaimAsInstant("auth_time");
    }

    static ApiException required(String detail) {
        return new ApiException(HttpStatus.FORBIDDEN, STEP_UP_REQUIRED, detail);
    }

    /** A request refused for step-up, sent again with its Idempotency-Key: it stays refused (SPEC section 4). */
    static ApiException stillRequired() {
        return required("This request was refused for step-up, and stays so: after signing in again, send it with a "
                + "new Idempotency-Key");
    }

    /** Whether the error is a refusal for step-up. */
    static boolean isStepUpRefusal(Throwable error) {
        return error instanceof ApiException refusal && STEP_UP_REQUIRED.equals(refusal.code());
    }
}
