package io.qrvoucher.voucher.streams;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.CustomerAttempt;

/**
 * Keeps each customer's recent attempts by kind in {@code customer-attempts-store}, a window store that
 * keeps every attempt at the time it was made and drops it after the store's retention: the one count
 * that the abuse limits of every ingress instance read, so that N instances still allow a customer the
 * limit once, not N times.
 */
public final class CustomerAttempts implements Processor<String, CustomerAttempt, Void, Void> {

    /** An attempt is its time; the store needs a value all the same. */
    private static final byte[] ATTEMPT = new byte[0];


    private ProcessorContext<Void, Void> context;
    private WindowStore<String, byte[]> store;

    CustomerAttempts() {
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(VoucherTopology.CUSTOMER_ATTEMPTS_STORE);
    }

    /**
     * An attempt dated further ahead of this instance's clock than the clocks' skew (an ingress whose clock jumped)
     * counts as made at that edge: at its own time it moved the store's time ahead with it, and the store then dropped
     * everyone's attempts made at the right time, and the limits counted none, until the clocks met again.
     */
    @Override
    public void process(Record<String, CustomerAttempt> record) {
        CustomerAttempt attempt = record.value();
        long madeAt = Math.min(attempt.getAttemptedAt().toEpochMilli(),
                context.currentSystemTimeMs() + VoucherTopology.CLOCK_SKEW.toMillis());
        store.put(storeKey(attempt.getCustomerId(), attempt.getKind()), ATTEMPT, madeAt);
    }

    /** A customer's attempts of one kind are kept under this key, in the customer's partition. */
    public static String storeKey(String customerId, AttemptKind kind) {
        return customerId + "/" + kind;
    }
}
