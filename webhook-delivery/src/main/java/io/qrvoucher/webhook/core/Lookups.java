package io.qrvoucher.webhook.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waiting for a name's lookup, made on a thread of its own, no longer than a time limit. The system's resolver cannot
 * be interrupted, so a lookup past its limit is given up by its caller, not stopped: its thread ends when the system
 * gives up too.
 */
public final class Lookups {

    private Lookups() {
    }

    /** The addresses looked up within {@code timeout}; an {@link UnknownHostException} saying so after it. */
    public static InetAddress[] awaited(Future<InetAddress[]> lookup, String host, Duration timeout)
            throws UnknownHostException {
        try {
            return lookup.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new UnknownHostException(host + " did not resolve within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownHostException unknown) {
                throw unknown;
            }
            throw new IllegalStateException("Resolving " + host + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnknownHostException(host + " was not resolved: interrupted");
        }
    }
}
