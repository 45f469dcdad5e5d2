package io.qrvoucher.webhook.web;

import java.util.function.Supplier;

/**
 * Removals of endpoints, only so many at once on an instance and one at a time per customer. A removal waits for an
 * attempt under way to its endpoint (up to the delivery's connect and response timeouts) holding a database
 * connection: removals sent again and again for an endpoint its customer keeps busy (a slow server of their own)
 * would otherwise take the pool the workers and the listener need, and stop every customer's webhooks on the
 * instance. Beyond the places a removal is refused at once ({@link Busy}, another instance may take it), and so is a
 * customer's while one of theirs is still waiting ({@link CustomerBusy}).
 */
final class BoundedRemovals {

    /** Every removal place is taken: try again shortly. */
    static final class Busy extends RuntimeException {
        Busy() {
            super("Too many webhook endpoints are being removed at once; try again in a second");
        }
    }

    /** A removal of this customer's is still waiting for an attempt under way to its endpoint. */
    static final class CustomerBusy extends RuntimeException {
        CustomerBusy() {
            super("An endpoint of yours is still being removed (it waits for a delivery under way); "
                    + "send this once it is answered");
        }
    }

    private final CustomerPlaces places;

    BoundedRemovals(int atOnce) {
        this.places = new CustomerPlaces(atOnce, Busy::new, CustomerBusy::new);
    }

    /** Runs the customer's removal, on the caller's thread, if there is room for it. */
    <T> T remove(String customerId, Supplier<T> removal) {
        Runnable release = places.take(customerId);
        try {
            return removal.get();
        } finally {
            release.run();
        }
    }
}
