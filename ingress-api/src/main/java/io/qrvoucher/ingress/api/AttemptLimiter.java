package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

import org.springframework.http.HttpStatus;
import org.springframework.web.server.WebFilter;

import com.github.benmanes.caffeine.cache.Caffeine;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.retry.Retry;

/**
 * Bounds what one customer can make the ingress do, across all its instances: a customer who made
 * {@code limit} attempts of a kind within {@code window} is refused further ones (429, {@code Retry-After})
 * until the oldest leaves the window. Each instance publishes the attempts it counts to
 * {@code customer-attempts}; the count is read from the voucher-streams instance that keeps the customer's,
 * so that N instances behind a balancer allow the limit once, not N times. What this instance counted itself
 * holds at once, before the keeper has it, and on its own should the keeper not answer: then the limit is
 * per instance, as a bound on the work, rather than no limit at all.
 * <p>
 * Attempts let in whose outcome is not known yet (a code not looked at yet) count against the limit here until it
 * is, within the request ({@link #undecidedAttempts()}): checked first and counted only once they failed, a burst
 * of wrong codes sent at once all passed the check before the first was counted.
 */
final class AttemptLimiter {

    /** What an attempt is counted as, and what a refusal says. */
    record Rule(AttemptKind kind, int limit, Duration window, String code, String what) {
    }

    /** The longest an attempt waits for the keeper's count: well within a request's idle timeout. */
    private static final Duration KEEPER_WAIT = Duration.ofSeconds(5);
    /** The longest an attempt waits for the customer's other attempts in flight to be decided, and how often it looks. */
    private static final Duration UNDECIDED_WAIT = Duration.ofSeconds(5);
    private static final Duration UNDECIDED_RECHECK = Duration.ofMillis(20);

    private final Rule rule;
    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final Clock clock;
    /**
     * The customer's attempts counted here, within the window, and those let in and not decided yet. A customer
     * leaves once a window has passed since their last attempt was counted or checked: every attempt is then out of
     * it, however long the instance runs.
     */
    private final ConcurrentMap<String, Counted> countedHere;

    AttemptLimiter(Rule rule, VoucherReads reads, RequestPublisher publisher, Clock clock) {
        this.rule = rule;
        this.reads = reads;
        this.publisher = publisher;
        this.clock = clock;
        this.countedHere = Caffeine.newBuilder()
                .expireAfterWrite(rule.window())
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .<String, Counted>build()
                .asMap();
    }

    /** One customer's attempts here: those counted within the window, and those let in whose outcome is not known. */
    private static final class Counted {
        final Deque<Instant> recent = new ArrayDeque<>();
        int undecided;

        boolean isEmpty() {
            return recent.isEmpty() && undecided == 0;
        }
    }

    /**
     * The attempts one request was let in with and has not decided yet, by limiter: released when the request ends,
     * if not before. A request outside it (a test calling a limiter directly) reserves nothing.
     */
    private static final class Undecided {
        private final Map<AttemptLimiter, String> held = new ConcurrentHashMap<>();

        void release(AttemptLimiter limiter) {
            String customerId = held.remove(limiter);
            if (customerId != null) {
                limiter.releaseUndecided(customerId);
            }
        }

        void releaseAll() {
            held.keySet().forEach(this::release);
        }
    }

    /** Gives each request its own record of the attempts it was let in with, and releases those left at its end. */
    static WebFilter undecidedAttempts() {
        return (exchange, chain) -> {
            Undecided undecided = new Undecided();
            return chain.filter(exchange).contextWrite(Context.of(Undecided.class, undecided))
                    .doFinally(signal -> undecided.releaseAll());
        };
    }

    /**
     * Completes if the customer may make another attempt, else fails with the refusal. Let in, the attempt counts
     * against the limit here until the request {@linkplain #record records} it as failed, says it was
     * {@linkplain #decided not}, or ends.
     */
    Mono<Void> checkAllowed(String customerId) {
        Mono<Void> letIn = Mono.deferContextual(context -> letIn(customerId, context.getOrDefault(Undecided.class, null)));
        // The customer's other attempts in flight may yet fail: this one waits for them to be decided (a look at a
        // code, milliseconds), so that a burst of good codes is slowed, not refused.
        return letIn.retryWhen(Retry.fixedDelay(UNDECIDED_WAIT.toMillis() / UNDECIDED_RECHECK.toMillis(), UNDECIDED_RECHECK)
                .filter(AllUndecided.class::isInstance)
                .onRetryExhaustedThrow((spec, signal) -> tooManyInFlight()));
    }

    /** Not the limit: the customer's attempts in flight, not decided yet, fill what it leaves. */
    private static ApiException tooManyInFlight() {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS_IN_FLIGHT", "You have too many "
                + "attempts being checked at once; nothing was recorded. Retry it in a moment.").retryAfter(1);
    }

    /** Signals that the customer's budget is held by attempts not decided yet: asked again in a moment. */
    private static final class AllUndecided extends RuntimeException {
        AllUndecided() {
            super(null, null, false, false);
        }
    }

    /**
     * Lets the attempt in if the customer's failures and undecided attempts leave room, reserving it for the request
     * (if made within one); refuses it if their failures fill the budget; or signals {@link AllUndecided}.
     */
    private Mono<Void> letIn(String customerId, Undecided request) {
        Instant now = clock.instant();
        Instant[] allowedAgain = {null};
        boolean[] waitForOthers = {false};
        countedHere.compute(customerId, (id, known) -> {
            Counted counted = known == null ? new Counted() : known;
            allowedAgain[0] = fullUntil(counted, now);
            if (allowedAgain[0] == null) {
                if (counted.recent.size() + counted.undecided >= rule.limit()) {
                    waitForOthers[0] = true;
                } else if (request != null && request.held.putIfAbsent(this, customerId) == null) {
                    counted.undecided++;
                }
            }
            return counted.isEmpty() ? null : counted;
        });
        if (allowedAgain[0] != null) {
            return Mono.error(refusal(allowedAgain[0], now));
        }
        if (waitForOthers[0]) {
            return Mono.error(new AllUndecided());
        }
        return keepersRefusal(customerId, now).flatMap(refused -> {
            if (request != null) {
                request.release(this);
            }
            return Mono.<Void>error(refused);
        });
    }

    /**
     * For attempts that count whether they succeed or not (uploads): counts one if the customer may make it, and
     * publishes it, else fails with the refusal. Counted here before the keeper is asked, so that attempts in flight
     * together are each counted before the next is checked. One the keeper refuses, or whose request is given up
     * before it is published, is not counted.
     */
    Mono<Void> take(String customerId) {
        return Mono.defer(() -> {
            Instant now = clock.instant();
            Instant[] allowedAgain = {null};
            countedHere.compute(customerId, (id, known) -> {
                Counted counted = known == null ? new Counted() : known;
                allowedAgain[0] = fullUntil(counted, now);
                if (allowedAgain[0] == null) {
                    counted.recent.addLast(now);
                }
                return counted.isEmpty() ? null : counted;
            });
            if (allowedAgain[0] != null) {
                return Mono.error(refusal(allowedAgain[0], now));
            }
            Runnable uncount = () -> countedHere.computeIfPresent(customerId, (id, counted) -> {
                counted.recent.removeLastOccurrence(now);
                return counted.isEmpty() ? null : counted;
            });
            return keepersRefusal(customerId, now)
                    .flatMap(refused -> {
                        uncount.run();
                        return Mono.<Void>error(refused);
                    })
                    .then(Mono.defer(() -> published(customerId, now)))
                    .doOnCancel(uncount);
        });
    }

    /**
     * Counts a failed attempt of the customer's, here and for every instance (the request's attempt let in is decided
     * with it); completes once it is published.
     */
    Mono<Void> record(String customerId) {
        return Mono.deferContextual(context -> {
            Instant now = clock.instant();
            Undecided request = context.getOrDefault(Undecided.class, null);
            boolean held = request != null && request.held.remove(this) != null;
            // In one step: released and counted apart, a waiter could be let in between, one failure past the limit.
            countedHere.compute(customerId, (id, known) -> {
                Counted counted = known == null ? new Counted() : known;
                prune(counted.recent, now);
                counted.recent.addLast(now);
                if (held) {
                    counted.undecided = Math.max(0, counted.undecided - 1);
                }
                return counted;
            });
            return published(customerId, now);
        });
    }

    /**
     * The attempt published for every instance to count. One the broker did not confirm fails the request before it is
     * acted on — 503 to send the same request again in a moment (its key claimed, if it had one; at worst counted
     * twice) — not as a request that may have been recorded.
     */
    private Mono<Void> published(String customerId, Instant now) {
        return publisher.publish(new CustomerAttempt(customerId, rule.kind(), now)).then()
                .onErrorMap(RequestPublisher.NotPublishedException.class, notCounted -> ApiException.temporarilyUnavailable(
                        "The attempt could not be counted, and the request was not acted on. Send it again as it was in a moment."));
    }

    /** The request's attempt let in did not fail (its redemption is published): it no longer counts. */
    Mono<Void> decided() {
        return Mono.deferContextual(context -> {
            Undecided request = context.getOrDefault(Undecided.class, null);
            if (request != null) {
                request.release(this);
            }
            return Mono.empty();
        });
    }

    private void releaseUndecided(String customerId) {
        countedHere.computeIfPresent(customerId, (id, counted) -> {
            counted.undecided = Math.max(0, counted.undecided - 1);
            return counted.isEmpty() ? null : counted;
        });
    }

    /**
     * The refusal, if the keeper of the customer's attempts counts the limit reached. Waited for {@link #KEEPER_WAIT}
     * at most, and a keeper that cannot answer refuses nothing: this instance's own count then holds.
     */
    private Mono<ApiException> keepersRefusal(String customerId, Instant now) {
        return reads.attempts(customerId, rule.kind(), now.minus(rule.window()), rule.limit())
                .timeout(KEEPER_WAIT, Mono.empty())
                .onErrorResume(VoucherReads.Unavailable.class, unanswered -> Mono.empty())
                .filter(answer -> answer.getAttemptedAt().size() >= rule.limit())
                .map(answer -> refusal(answer.getAttemptedAt().get(0).plus(rule.window()), now));
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

    /** Prunes the customer's counted attempts to the window: if they fill the limit, when it lets them in again. */
    private Instant fullUntil(Counted counted, Instant now) {
        prune(counted.recent, now);
        return counted.recent.size() >= rule.limit() ? counted.recent.peekFirst().plus(rule.window()) : null;
    }

    private void prune(Deque<Instant> recent, Instant now) {
        Instant cutoff = now.minus(rule.window());
        while (!recent.isEmpty() && !recent.peekFirst().isAfter(cutoff)) {
            recent.removeFirst();
        }
    }
}
