package io.qrvoucher.webhook.web;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Places for work that may take long on a customer's word: so many at once on an instance, and one at a time per
 * customer. Past them the work is refused at once, never queued: with {@code full} while every place is taken (another
 * instance may take it), with {@code customerBusy} while one of the customer's is still under way.
 */
final class CustomerPlaces {

    private final Semaphore places;
    private final Set<String> customersAtWork = ConcurrentHashMap.newKeySet();
    private final Supplier<RuntimeException> full;
    private final Supplier<RuntimeException> customerBusy;

    CustomerPlaces(int atOnce, Supplier<RuntimeException> full, Supplier<RuntimeException> customerBusy) {
        this.places = new Semaphore(atOnce);
        this.full = full;
        this.customerBusy = customerBusy;
    }

    /** Takes a place for the customer's work, or throws the refusal; run what it gives back once the work has ended. */
    Runnable take(String customerId) {
        if (!customersAtWork.add(customerId)) {
            throw customerBusy.get();
        }
        if (!places.tryAcquire()) {
            customersAtWork.remove(customerId);
            throw full.get();
        }
        return () -> {
            places.release();
            customersAtWork.remove(customerId);
        };
    }
}
