package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

import org.springframework.http.HttpStatus;

import com.github.benmanes.caffeine.cache.Caffeine;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import reactor.core.publisher.Mono;

/**
 * Bounds what one customer can make the ingress do, across all its instances: a customer who made
 * {@code limit} attempts of a kind within {@code window} is refused further ones (429, {@code Retry-After})
 * until the oldest leaves the window. Each instance publishes the attempts it counts to
 * {@code customer-attempts}; the count is read from the voucher-streams instance that keeps the customer's,
 * so that N instances behind a balancer allow the limit once, not N times. What this instance counted itself
 * holds at once, before the keeper has it, and on its own should the keeper not answer: then the limit is
 * per instance, as a bound on the work, rather than no limit at all.
 */
final class AttemptLimiter {

    /** What an attempt is counted as, and what a refusal says. */
    record Rule(AttemptKind kind, int limit, Duration window, String code, String what) {
    }

    private final Rule rule;
    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final Clock clock;
    /**
     * The customer's attempts counted here, within the window. A customer leaves once a window has passed since
     * their last attempt was counted or checked: every attempt is then out of it, however long the instance runs.
     */
    private final ConcurrentMap<String, Deque<Instant>> countedHere;

    AttemptLimiter(Rule rule, VoucherReads reads, RequestPublisher publisher, Clock clock) {
        this.rule = rule;
        this.reads = reads;
        this.publisher = publisher;
        this.clock = clock;
        this.countedHere = Caffeine.newBuilder()
                .expireAfterWrite(rule.window())
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .<String, Deque<Instant>>build()
                .asMap();
    }

    /** Completes if the customer may make another attempt, else fails with the refusal. */
    Mono<Void> checkAllowed(String customerId) {
        Instant now = clock.instant();
        Optional<Instant> refusedHere = allowedAgainHere(customerId, now);
        if (refusedHere.isPresent()) {
            return Mono.error(refusal(refusedHere.get(), now));
        }
        return reads.attempts(customerId, rule.kind(), now.minus(rule.window()), rule.limit())
                .onErrorResume(VoucherReads.Unavailable.class, unanswered -> Mono.empty())
                .flatMap(answer -> {
                    List<Instant> newest = answer.getAttemptedAt();
                    return newest.size() >= rule.limit()
                            ? Mono.error(refusal(newest.get(0).plus(rule.window()), now))
                            : Mono.empty();
                });
    }

    /**
     * For attempts that count whether they succeed or not (uploads): counts one now if the customer may make it, and
     * publishes it, else fails with the refusal. Counted here before the keeper is asked, so that attempts in flight
     * together are each counted before the next is checked: checked first and counted after, as many passed as came
     * at once. One the keeper refuses is not counted.
     */
    Mono<Void> take(String customerId) {
        Instant now = clock.instant();
        Instant[] allowedAgain = {null};
        countedHere.compute(customerId, (id, counted) -> {
            Deque<Instant> recent = counted == null ? new ArrayDeque<>() : counted;
            prune(recent, now);
            if (recent.size() >= rule.limit()) {
                allowedAgain[0] = recent.peekFirst().plus(rule.window());
            } else {
                recent.addLast(now);
            }
            return recent.isEmpty() ? null : recent;
        });
        if (allowedAgain[0] != null) {
            return Mono.error(refusal(allowedAgain[0], now));
        }
        return reads.attempts(customerId, rule.kind(), now.minus(rule.window()), rule.limit())
                .onErrorResume(VoucherReads.Unavailable.class, unanswered -> Mono.empty())
                .flatMap(answer -> {
                    List<Instant> newest = answer.getAttemptedAt();
                    if (newest.size() < rule.limit()) {
                        return Mono.<Void>empty();
                    }
                    countedHere.computeIfPresent(customerId, (id, recent) -> {
                        recent.removeLastOccurrence(now);
                        return recent.isEmpty() ? null : recent;
                    });
                    return Mono.<Void>error(refusal(newest.get(0).plus(rule.window()), now));
                })
                .then(Mono.defer(() -> publisher.publish(new CustomerAttempt(customerId, rule.kind(), now)).then()));
    }

    /** Counts an attempt of the customer's, here and for every instance; completes once it is published. */
    Mono<Void> record(String customerId) {
        Instant now = clock.instant();
        countedHere.compute(customerId, (id, counted) -> {
            Deque<Instant> recent = counted == null ? new ArrayDeque<>() : counted;
            prune(recent, now);
            recent.addLast(now);
            return recent;
        });
        return publisher.publish(new CustomerAttempt(customerId, rule.kind(), now)).then();
    }

    /** When this instance's own count allows the customer again, if it does not now. */
    private Optional<Instant> allowedAgainHere(String customerId, Instant now) {
        Instant[] allowedAgain = {null};
        // Atomic per customer, and a customer without recent attempts leaves the map.
        countedHere.computeIfPresent(customerId, (id, recent) -> {
            prune(recent, now);
            if (recent.size() >= rule.limit()) {
                allowedAgain[0] = recent.peekFirst().plus(rule.window());
            }
            return recent.isEmpty() ? null : recent;
        });
        return Optional.ofNullable(allowedAgain[0]);
    }

    /** How many customers this instance holds attempts of. */
    int customersCountedHere() {
        return (int) countedHere.keySet().stream().count();
    }

    private ApiException refusal(Instant allowedAgain, Instant now) {
        long retryAfter = Math.max(1, Duration.between(now, allowedAgain).toSeconds());
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, rule.code(),
                "Too many " + rule.what() + "; try again in " + retryAfter + " s").retryAfter(retryAfter);
    }

    private void prune(Deque<Instant> recent, Instant now) {
        Instant cutoff = now.minus(rule.window());
        while (!recent.isEmpty() && !recent.peekFirst().isAfter(cutoff)) {
            recent.removeFirst();
        }
    }
}
