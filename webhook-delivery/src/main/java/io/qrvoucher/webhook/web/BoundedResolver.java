package io.qrvoucher.webhook.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.scheduling.concurrent.CustomizableThreadFactory;

import io.qrvoucher.webhook.core.EndpointUrls;

/**
 * Resolves the hosts of the URLs customers register, each within a time limit and only so many at once. The
 * customer chooses the host, and so the name server that answers for it: one that answers slowly on purpose would
 * otherwise hold a thread of the service for as long as the system's resolver waits (it cannot be interrupted), one
 * for every registration sent. Here a lookup past the limit is given up (its thread stays on it until the system
 * gives up too), and while every lookup thread is taken a registration is refused at once ({@link Busy}).
 */
public final class BoundedResolver implements EndpointUrls.Resolver, AutoCloseable {

    /** Every lookup thread is taken: try again shortly. */
    public static final class Busy extends RuntimeException {
        Busy() {
            super("Too many webhook URLs are being checked at once; try again in a second");
        }
    }

    private final EndpointUrls.Resolver resolver;
    private final Duration timeout;
    private final ThreadPoolExecutor lookups;

    public BoundedResolver(EndpointUrls.Resolver resolver, int atOnce, Duration timeout) {
        this.resolver = resolver;
        this.timeout = timeout;
        CustomizableThreadFactory threads = new CustomizableThreadFactory("webhook-url-lookup-");
        threads.setDaemon(true);
        this.lookups = new ThreadPoolExecutor(atOnce, atOnce, 0, TimeUnit.MILLISECONDS, new SynchronousQueue<>(), threads,
                new ThreadPoolExecutor.AbortPolicy());
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        Future<InetAddress[]> lookup;
        try {
            lookup = lookups.submit(() -> resolver.resolve(host));
        } catch (RejectedExecutionException e) {
            throw new Busy();
        }
        try {
            return lookup.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            lookup.cancel(true);
            throw new UnknownHostException(host + " did not resolve within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownHostException unknown) {
                throw unknown;
            }
            throw new IllegalStateException("Resolving " + host + " failed", e.getCause());
        } catch (InterruptedException e) {
            lookup.cancel(true);
            Thread.currentThread().interrupt();
            throw new UnknownHostException(host + " was not resolved: interrupted");
        }
    }

    @Override
    public void close() {
        lookups.shutdownNow();
    }
}
