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
 * Slows down code guessing: a customer who presented {@code limit} codes that are not genuine within
 * {@code window} is refused further redemptions until the oldest of them leaves the window. Kept per
 * instance; with N instances behind a balancer a guesser gets at most N times the limit, which the
 * 128-bit codes make harmless.
 */
final class WrongCodeLimiter {

    private final int limit;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

    WrongCodeLimiter(int limit, Duration window, Clock clock) {
        this.limit = limit;
        this.window = window;
        this.clock = clock;
    }

    void checkAllowed(String customerId) {
        Deque<Instant> recent = failures.get(customerId);
        if (recent == null) {
            return;
        }
        synchronized (recent) {
            prune(recent);
            if (recent.size() >= limit) {
                long retryAfter = Math.max(1, Duration.between(clock.instant(), recent.peekFirst().plus(window)).toSeconds());
                ApiException refused = new ApiException(HttpStatus.TOO_MANY_REQUESTS, "TOO_MANY_WRONG_CODES",
                        "Too many codes that are not genuine; try again in " + retryAfter + " s");
                refused.getHeaders().set("Retry-After", Long.toString(retryAfter));
                throw refused;
            }
        }
    }

    void recordFailure(String customerId) {
        Deque<Instant> recent = failures.computeIfAbsent(customerId, c -> new ArrayDeque<>());
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
