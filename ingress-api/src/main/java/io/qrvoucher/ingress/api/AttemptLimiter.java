package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.http.HttpStatus;

/**
 * Bounds what one customer can make the ingress do: a customer who made {@code limit} attempts of a
 * kind within {@code window} is refused further ones (429, {@code Retry-After}) until the oldest
 * leaves the window. Kept per instance: with N instances behind a balancer a customer gets at most N
 * times the limit, which bounds the work as well (the 128-bit codes make guessing harmless anyway).
 */
final class AttemptLimiter {

    private final int limit;
    private final Duration window;
    private final Clock clock;
    private final String code;
    private final String what;
    private final Map<String, Deque<Instant>> attempts = new ConcurrentHashMap<>();

    /**
     * @param code the problem code of a refusal
     * @param what what is counted, for the refusal's detail ("Too many " + what)
     */
    AttemptLimiter(int limit, Duration window, Clock clock, String code, String what) {
        this.limit = limit;
        this.window = window;
        this.clock = clock;
        this.code = code;
        this.what = what;
    }

    void checkAllowed(String customerId) {
        Deque<Instant> recent = attempts.get(customerId);
        if (recent == null) {
            return;
        }
        synchronized (recent) {
            prune(recent);
            if (recent.size() >= limit) {
                long retryAfter = Math.max(1, Duration.between(clock.instant(), recent.peekFirst().plus(window)).toSeconds());
                ApiException refused = new ApiException(HttpStatus.TOO_MANY_REQUESTS, code,
                        "Too many " + what + "; try again in " + retryAfter + " s");
                refused.getHeaders().set("Retry-After", Long.toString(retryAfter));
                throw refused;
            }
        }
    }

    void record(String customerId) {
        Deque<Instant> recent = attempts.computeIfAbsent(customerId, c -> new ArrayDeque<>());
        synchronized (recent) {
            prune(recent);
            recent.addLast(clock.instant());
        }
    }

    private void prune(Deque<Instant> recent) {
        Instant cutoff = clock.instant().minus(window);
        while (!recent.isEmpty() && !recent.peekFirst().isAfter(cutoff)) {
            recent.removeFirst();
        }
    }
}
