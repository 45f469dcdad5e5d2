package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.avro.RequestRefusal;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.voucher.domain.Decision;
import io.qrvoucher.voucher.domain.VoucherEvent;
import io.qrvoucher.voucher.domain.VoucherRequest;

/**
 * The requests a task refused, by request id, in its {@code request-refusals} store: the outcome of a
 * refused request is read from the voucher's owner like the voucher itself, and is committed with it.
 * A refusal is kept as long as the claim of an Idempotency-Key holds: after that a retry of the request is
 * a new request, and its requester has long read the outcome.
 */
final class RequestRefusals {

    static final AvroSerde<RequestRefusal> REFUSALS = AvroSerde.of(RequestRefusal.class);

    /** How often a slice of the store is looked through for refusals past their retention. */
    static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

    private final KeyValueStore<String, byte[]> store;
    /** The last request id the previous sweep read; null: the next one starts at the first. */
    private String sweptUpTo;

    RequestRefusals(ProcessorContext<?, ?> context) {
        this.store = context.getStateStore(VoucherTopology.REQUEST_REFUSALS);
    }

    /** Keeps the refusal of {@code request}, if the decision refused it; true if it did. */
    boolean record(VoucherRequest request, Decision decision, Instant now) {
        Optional<VoucherEvent> refusal = decision.events().stream()
                .filter(event -> event.type() == VoucherEvent.Type.REQUEST_REFUSED)
                .filter(event -> request.requestId().equals(event.requestId()))
                .findFirst();
        refusal.ifPresent(event -> store.put(request.requestId(),
                REFUSALS.encode(AvroMapping.toRefusal(request, event.reason(), now))));
        return refusal.isPresent();
    }

    /**
     * Forgets the refusals made before {@code oldestKept} among the next {@code maxPerSweep} in request id order,
     * from where the previous sweep stopped, and from the first again after the last: a sweep's work is bounded
     * whatever the store holds, and every refusal is looked at once a pass.
     */
    void forgetBefore(Instant oldestKept, int maxPerSweep) {
        List<String> past = new ArrayList<>();
        String lastRead = null;
        boolean more;
        try (KeyValueIterator<String, byte[]> entries = store.range(sweptUpTo, null)) {
            int read = 0;
            while (read < maxPerSweep && entries.hasNext()) {
                KeyValue<String, byte[]> entry = entries.next();
                if (entry.key.equals(sweptUpTo)) {
                    continue;
                }
                read++;
                lastRead = entry.key;
                if (REFUSALS.decode(entry.value).getRefusedAt().isBefore(oldestKept)) {
                    past.add(entry.key);
                }
            }
            more = entries.hasNext();
        }
        sweptUpTo = more ? lastRead : null;
        past.forEach(store::delete);
    }
}
