package io.qrvoucher.webhook.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class RetryScheduleTest {

    private static final RetrySchedule PRODUCTION = new RetrySchedule(Duration.ofSeconds(10), Duration.ofHours(1),
            Duration.ofHours(24));
    private static final Instant CREATED = Instant.parse("2026-03-01T00:00:00Z");

    @Test
    void thePauseDoublesAfterEachFailureUpToTheMaximum() {
        assertThat(PRODUCTION.backoff(1)).isEqualTo(Duration.ofSeconds(10));
        assertThat(PRODUCTION.backoff(2)).isEqualTo(Duration.ofSeconds(20));
        assertThat(PRODUCTION.backoff(3)).isEqualTo(Duration.ofSeconds(40));
        assertThat(PRODUCTION.backoff(9)).isEqualTo(Duration.ofSeconds(2560));
        assertThat(PRODUCTION.backoff(10)).isEqualTo(Duration.ofHours(1));
        assertThat(PRODUCTION.backoff(1_000)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void anEndpointThatNeverAnswersIsTriedForAtLeastADayThenGivenUp() {
        List<Instant> attempts = new ArrayList<>();
        Instant at = CREATED;
        Optional<Instant> next = Optional.of(at);
        int failures = 0;
        while (next.isPresent()) {
            at = next.get();
            attempts.add(at);
            next = PRODUCTION.afterFailure(CREATED, ++failures, at, null);
        }

        assertThat(attempts.get(attempts.size() - 1)).isAfterOrEqualTo(CREATED.plus(Duration.ofHours(24)))
                .isBefore(CREATED.plus(Duration.ofHours(25)));
        assertThat(attempts).hasSizeBetween(30, 40); // a few quick ones, then hourly
    }

    @Test
    void aDeliveryThatWaitedADayBehindAnotherIsTriedOnceAndGivenUpIfItFails() {
        assertThat(PRODUCTION.afterFailure(CREATED, 1, CREATED.plus(Duration.ofHours(30)), null)).isEmpty();
        assertThat(PRODUCTION.afterFailure(CREATED, 1, CREATED.plus(Duration.ofHours(23)), null))
                .contains(CREATED.plus(Duration.ofHours(23)).plusSeconds(10));
    }

    /** An endpoint that asks to be left alone a while (429 or 503 with Retry-After) is, within the schedule's bounds. */
    @Test
    void aRetryAfterLongerThanThePauseIsKeptUpToTheLongestPause() {
        Instant at = CREATED.plus(Duration.ofMinutes(5));

        assertThat(PRODUCTION.afterFailure(CREATED, 1, at, Duration.ofSeconds(120))).contains(at.plusSeconds(120));
        assertThat(PRODUCTION.afterFailure(CREATED, 1, at, Duration.ofSeconds(3))).as("sooner than the pause")
                .contains(at.plusSeconds(10));
        assertThat(PRODUCTION.afterFailure(CREATED, 1, at, Duration.ofHours(3))).contains(at.plus(Duration.ofHours(1)));
        assertThat(PRODUCTION.afterFailure(CREATED, 1, at, null)).contains(at.plusSeconds(10));
        assertThat(PRODUCTION.afterFailure(CREATED, 1, CREATED.plus(Duration.ofHours(24)), Duration.ofSeconds(120)))
                .as("past the give-up age").isEmpty();
    }

    /**
     * An endpoint rests after a failed attempt for the pause its failures in a row have earned, at least as long as it
     * asked; but not after one that gave its delivery up: the next, as old, is given up at once, as a dead endpoint's
     * queue drained before endpoints rested, and did not wait an hour a give-up.
     */
    @Test
    void anEndpointRestsAfterAFailureByItsFailuresInARowButNotAfterAGiveUp() {
        Instant at = CREATED.plus(Duration.ofMinutes(5));
        Optional<Instant> retried = Optional.of(at.plusSeconds(10));

        assertThat(PRODUCTION.endpointRestsUntil(1, retried, at, null)).isEqualTo(at.plusSeconds(10));
        assertThat(PRODUCTION.endpointRestsUntil(3, retried, at, null)).isEqualTo(at.plusSeconds(40));
        assertThat(PRODUCTION.endpointRestsUntil(20, retried, at, null)).isEqualTo(at.plus(Duration.ofHours(1)));
        assertThat(PRODUCTION.endpointRestsUntil(1, retried, at, Duration.ofSeconds(120))).isEqualTo(at.plusSeconds(120));
        assertThat(PRODUCTION.endpointRestsUntil(20, Optional.empty(), at, null)).as("after a give-up").isEqualTo(at);
    }
}
