package io.qrvoucher.voucher.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import reactor.core.Disposable;

class TicksTest {

    private static final Duration BOUND = Duration.ofSeconds(10);

    @Test
    void aWaiterLooksOnceAtOnceWithoutWaitingForTheClock() {
        Ticks hourly = new Ticks(Duration.ofHours(1));

        assertThat(hourly.fromNow().next().block(BOUND)).isZero();
    }

    @Test
    void aWaiterWhoComesLaterJoinsTheRunningClockInsteadOfStartingItsOwn() {
        Ticks ticks = new Ticks(Duration.ofMillis(5));
        List<Long> first = new CopyOnWriteArrayList<>();
        Disposable firstWaiter = ticks.fromNow().subscribe(first::add);
        try {
            await().atMost(BOUND).until(() -> first.size() >= 4);

            Long laterWaitersFirstTick = ticks.fromNow().skip(1).next().block(BOUND);

            assertThat(laterWaitersFirstTick).isGreaterThan(3);
        } finally {
            firstWaiter.dispose();
        }
    }

    @Test
    void theClockRunsAgainForTheNextWaiterAfterEveryoneLeft() {
        Ticks ticks = new Ticks(Duration.ofMillis(5));
        assertThat(ticks.fromNow().take(3).collectList().block(BOUND)).containsExactly(0L, 1L, 2L);

        assertThat(ticks.fromNow().take(3).collectList().block(BOUND)).hasSize(3);
    }
}
