package io.qrvoucher.webhook.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

import io.qrvoucher.webhook.core.EndpointUrls;
import io.qrvoucher.webhook.core.Lookups;

/**
 * Resolves the hosts of the URLs customers register, each within a time limit, only so many at once, and one at a
 * time per customer. The customer chooses the host, and so the name server that answers for it: one that answers
 * slowly on purpose would otherwise hold a thread of the service for as long as the system's resolver waits (it
 * cannot be interrupted), one for every registration sent. Here a lookup past the limit is given up by the caller,
 * and its place — and its customer's turn — are freed only once the system has given up too: while every place is
 * taken a registration is refused at once ({@link Busy}), and so is a customer's while one of theirs is still being
 * looked up ({@link CustomerBusy}).
 */
public final class BoundedResolver implements AutoCloseable {

    /** Every lookup place is taken: try again shortly. */
    public static final class Busy extends RuntimeException {
        Busy() {
            super("Too many webhook URLs are being checked at once; try again in a second");
        }
    }

    /** A lookup of this customer's is still under way. */
    public static final class CustomerBusy extends RuntimeException {
        CustomerBusy() {
            super("A URL you registered is still being looked up; send this registration once it is answered");
        }
    }

    private final EndpointUrls.Resolver resolver;
    private final CustomerPlaces places;
    /** As many threads as places are taken: the places bound them. */
    private final Lookups lookups;

    public BoundedResolver(EndpointUrls.Resolver resolver, int atOnce, Duration timeout) {
        this.resolver = resolver;
        this.places = new CustomerPlaces(atOnce, Busy::new, CustomerBusy::new);
        this.lookups = new Lookups("webhook-url-lookup", timeout);
    }

    /** The customer's resolver. */
    public EndpointUrls.Resolver of(String customerId) {
        return host -> resolve(customerId, host);
    }

    private InetAddress[] resolve(String customerId, String host) throws UnknownHostException {
        Runnable release = places.take(customerId);
        // Given up past its time, the lookup still frees its place and turn only when the system gives up too.
        return lookups.within(host, () -> {
            try {
                return resolver.resolve(host);
            } finally {
                release.run();
            }
        });
    }

    @Override
    public void close() {
        lookups.close();
    }
}
