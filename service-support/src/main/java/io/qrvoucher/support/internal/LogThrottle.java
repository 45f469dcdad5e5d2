package io.qrvoucher.support.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a line be logged at most every ten seconds, so that a flood of refused calls (a misconfigured key, a
 * scanner) is seen without filling the log; the counters count every one.
 */
final class LogThrottle {

    private static final long EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - EVERY_NANOS);

    /** Whether to log now: true at most once every ten seconds, over all threads. */
    boolean due() {
        long now = System.nanoTime();
        long last = lastLogged.get();
        return now - last >= EVERY_NANOS && lastLogged.compareAndSet(last, now);
    }
}
