package io.qrvoucher.voucher.query;

import java.time.Duration;

import reactor.core.publisher.Flux;

/**
 * One clock for every long poll of an instance. Each waiter used to run a timer of its own, every 5 ms: with
 * a few dozen waiters that was thousands of scheduled wake-ups a second, most of them only to find nothing
 * changed. Waiters now look at the ticks of one timer, which runs while anyone waits.
 */
public final class Ticks {

    private final Duration period;
    private final Flux<Long> shared;

    public Ticks(Duration period) {
        this.period = period;
        // A waiter that is slow to look misses ticks rather than queueing them: the next one will do.
        this.shared = Flux.interval(period).onBackpressureDrop().share();
    }

    /** How far apart the ticks are. */
    public Duration period() {
        return period;
    }

    /** A look now, then one at every tick: the numbers count the shared ticks (the first is 0). */
    public Flux<Long> fromNow() {
        return shared.map(tick -> tick + 1).startWith(0L);
    }
}
