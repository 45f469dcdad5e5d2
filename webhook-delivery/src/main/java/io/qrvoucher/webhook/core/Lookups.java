package io.qrvoucher.webhook.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Name lookups, each made on a thread of its own and waited for no longer than a time limit. The system's resolver
 * cannot be interrupted, so a lookup past its limit is given up by its caller, not stopped: its thread ends when the
 * system gives up too. The threads are as many as the lookups under way; callers bound those.
 */
public final class Lookups implements AutoCloseable {

    private final Duration timeout;
    private final ExecutorService threads;

    public Lookups(String threadName, Duration timeout) {
        this.timeout = timeout;
        AtomicInteger number = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, threadName + "-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** The addresses {@code lookup} gives for {@code host} within the time limit; an {@link UnknownHostException} after it. */
    public InetAddress[] within(String host, Callable<InetAddress[]> lookup) throws UnknownHostException {
        Future<InetAddress[]> looking = threads.submit(lookup);
        try {
            return looking.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
