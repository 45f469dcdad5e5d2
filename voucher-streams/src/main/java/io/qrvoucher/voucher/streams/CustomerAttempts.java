package io.qrvoucher.voucher.streams;

import java.time.Duration;

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

    /**
     * How far ahead of this instance's clock an ingress may date an attempt. One dated further (an ingress whose clock
     * jumped) counts as made at that edge: at its own time it moved the store's time ahead with it, and the store then
     * dropped everyone's attempts made at the right time, and the limits counted none, until the clocks met again. The
     * skew the internal API's seals allow between the ingress and this service too ({@code internal-api.max-clock-skew}).
     */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    private ProcessorContext<Void, Void> context;
    private WindowStore<String, byte[]> store;

    CustomerAttempts() {
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(VoucherTopology.CUSTOMER_ATTEMPTS_STORE);
    }

    @Override
    public void process(Record<String, CustomerAttempt> record) {
        CustomerAttempt attempt = record.value();
        long madeAt = Math.min(attempt.getAttemptedAt().toEpochMilli(), context.currentSystemTimeMs() + CLOCK_SKEW.toMillis());
        store.put(storeKey(attempt.getCustomerId(), attempt.getKind()), ATTEMPT, madeAt);
    }

    /** A customer's attempts of one kind are kept under this key, in the customer's partition. */
    public static String storeKey(String customerId, AttemptKind kind) {
        return customerId + "/" + kind;
    }
}
