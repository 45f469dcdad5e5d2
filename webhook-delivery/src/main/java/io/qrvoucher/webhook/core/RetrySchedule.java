package io.qrvoucher.webhook.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When a delivery that failed is tried again: after {@code initialBackoff}, doubling with each failure up to
 * {@code maxBackoff} (or after the endpoint's {@code Retry-After}, if longer, up to that too), for as long as its
 * event is younger than {@code giveUpAfter}; an attempt that fails
 * after that gives it up. The clock starts when the event reached the delivery, not at its first attempt: a
 * delivery that waited behind an earlier one of its voucher (the order is kept) has used its time waiting,
 * and is tried once more and given up if it fails again, so a dead endpoint's queue drains instead of taking
 * a day per event.
 */
public record RetrySchedule(Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {

    public RetrySchedule {
        if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("Backoff must be positive, the maximum at least the first: "
                    + initialBackoff + ", " + maxBackoff);
        }
    }

    /**
     * The next attempt after the {@code failures}-th failed one (1 for the first) at {@code now}, no sooner than the
     * endpoint asked ({@code Retry-After}, null if it did not) up to the longest pause, so that its wish is kept within
     * the schedule's bounds; empty to give the delivery up.
     */
    public Optional<Instant> afterFailure(Instant createdAt, int failures, Instant now, Duration asked) {
        if (!now.isBefore(createdAt.plus(giveUpAfter))) {
            return Optional.empty();
        }
        return Optional.of(now.plus(pause(failures, asked)));
    }

    /**
     * Until when an endpoint rests after a failed attempt, its {@code failuresInARow}-th (nothing is sent to it before):
     * the pause its failures in a row have earned, as a delivery's, but none after an attempt that gave its delivery up
     * ({@code retry} empty), so that a dead endpoint's queue past the give-up age drains at the pace it did before
     * endpoints rested, a give-up and those as old behind it an attempt.
     */
    public Instant endpointRestsUntil(int failuresInARow, Optional<Instant> retry, Instant now, Duration asked) {
        return retry.isEmpty() ? now : now.plus(pause(failuresInARow, asked));
    }

    /**
     * The pause after the {@code failures}-th failure in a row, no shorter than the endpoint asked ({@code Retry-After},
     * null if it did not) up to the longest: a failed delivery's before its next attempt, and an endpoint's rest.
     */
    public Duration pause(int failures, Duration asked) {
        Duration pause = backoff(failures);
        if (asked != null && asked.compareTo(pause) > 0) {
            pause = asked.compareTo(maxBackoff) > 0 ? maxBackoff : asked;
        }
        return pause;
    }

    /** The pause after the n-th failure: initial × 2^(n−1), at most the maximum. */
    Duration backoff(int failures) {
        Duration backoff = initialBackoff;
        for (int i = 1; i < failures && backoff.compareTo(maxBackoff) < 0; i++) {
            backoff = backoff.multipliedBy(2);
        }
        return backoff.compareTo(maxBackoff) > 0 ? maxBackoff : backoff;
    }
}
