package io.qrvoucher.webhook.web;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One piece of work at a time per customer, on this instance: a customer's second while the first is under way is
 * refused ({@link Busy}), not queued, so that a customer cannot line up work that holds the service's threads.
 */
final class OneAtATime {

    /** The customer has work under way. */
    static final class Busy extends RuntimeException {
        Busy() {
            super("Another registration of yours is being checked; send this one once it is answered");
        }
    }

    /** The customer's turn; closing it lets the customer's next work in. */
    interface Turn extends AutoCloseable {
        @Override
        void close();
    }

    private final Set<String> customersAtWork = ConcurrentHashMap.newKeySet();

    Turn take(String customerId) {
        if (!customersAtWork.add(customerId)) {
            throw new Busy();
        }
        return () -> customersAtWork.remove(customerId);
    }
}
