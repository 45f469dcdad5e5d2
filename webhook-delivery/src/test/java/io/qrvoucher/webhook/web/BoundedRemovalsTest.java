package io.qrvoucher.webhook.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Removals waiting for attempts under way to their endpoints, as a customer with a slow server of their own can make them. */
class BoundedRemovalsTest {

    private final BoundedRemovals removals = new BoundedRemovals(2);
    private final CountDownLatch attemptEnds = new CountDownLatch(1);

    @Test
    void removalsWaitingForAttemptsTakeOnlyTheirPlacesAndOneACustomer() throws Exception {
        CompletableFuture<Boolean> mallorys = waiting("mallory");
        CompletableFuture<Boolean> trudys = waiting("trudy");

        assertThatThrownBy(() -> removals.remove("mallory", () -> true)).as("one of mallory's at a time")
                .isInstanceOf(BoundedRemovals.CustomerBusy.class);
        assertThatThrownBy(() -> removals.remove("alice", () -> true)).as("every place taken: at once, not waiting")
                .isInstanceOf(BoundedRemovals.Busy.class);

        attemptEnds.countDown();
        assertThat(mallorys.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(trudys.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(removals.remove("alice", () -> true)).as("the places are free again").isTrue();
        assertThat(removals.remove("mallory", () -> true)).isTrue();
    }

    @Test
    void aRemovalThatFailsGivesItsPlaceAndItsCustomersTurnBack() {
        BoundedRemovals one = new BoundedRemovals(1);
        assertThatThrownBy(() -> one.remove("alice", () -> {
            throw new IllegalStateException("the database did not answer");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(one.remove("alice", () -> true)).isTrue();
    }

    /** A removal of the customer's that waits for an attempt until the test ends it; returns once it has its place. */
    private CompletableFuture<Boolean> waiting(String customerId) throws InterruptedException {
        CountDownLatch placed = new CountDownLatch(1);
        CompletableFuture<Boolean> removal = CompletableFuture.supplyAsync(() -> removals.remove(customerId, () -> {
            placed.countDown();
            try {
                return attemptEnds.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }));
        assertThat(placed.await(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        return removal;
    }
}
