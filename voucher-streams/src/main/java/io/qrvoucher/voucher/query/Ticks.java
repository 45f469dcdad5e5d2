package io.qrvoucher.voucher.query;

import java.time.Duration;

import reactor.core.publisher.Flux;

/**
 * One clock for the waits nobody announces a change for (a customer waiting for their settings to change):
 * each waiter looks at the ticks of one timer, which runs while anyone waits, rather than running a timer of
 * its own. The waits for vouchers and claims are woken by the tasks instead ({@link VoucherWatches}).
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
