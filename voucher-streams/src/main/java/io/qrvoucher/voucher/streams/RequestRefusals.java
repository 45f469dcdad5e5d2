package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.avro.RequestRefusal;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.voucher.domain.Decision;
import io.qrvoucher.voucher.domain.VoucherEvent;
import io.qrvoucher.voucher.domain.VoucherRequest;

/**
 * The requests a task refused, by request id, in its {@code request-refusals} store: the outcome of a
 * refused request is read from the voucher's owner like the voucher itself, and is committed with it.
 * A request that was refused stays refused: its retry with the same Idempotency-Key, which carries the same
 * request id, is not applied again. A refusal is kept as long as the claim of an Idempotency-Key holds, and
 * at least while its voucher may be open: after that a retry of the request is a new request.
 */
final class RequestRefusals {

    static final AvroSerde<RequestRefusal> REFUSALS = AvroSerde.of(RequestRefusal.class);
    /** The sweep's bookmark as a refusal: of no voucher, its request id where the next slice starts. */
    static final RetentionSweep.Bookmarks BOOKMARKS = new RetentionSweep.Bookmarks(
            sweptUpTo -> REFUSALS.encode(RequestRefusal.newBuilder()
                    .setRequestId(sweptUpTo).setVoucherId("").setCustomerId("")
                    .setRequestedAt(RetentionSweep.BOOKMARK_MADE_AT).setRefusedAt(RetentionSweep.BOOKMARK_MADE_AT)
                    .setReason("RETENTION_SWEEP_BOOKMARK")
                    .build()),
            bookmark -> REFUSALS.decode(bookmark).getRequestId());

    private final KeyValueStore<String, byte[]> store;
    private final Cancellable sweep;

    /**
     * Swept every {@link RetentionSweep#INTERVAL} for refusals past their retention.
     *
     * @param retention   how long a refusal is kept
     * @param minPerSweep how many refusals a sweep looks at, at least
     */
    RequestRefusals(ProcessorContext<?, ?> context, Duration retention, int minPerSweep) {
        this.store = context.getStateStore(VoucherTopology.REQUEST_REFUSALS);
        this.sweep = new RetentionSweep(store, refusal -> REFUSALS.decode(refusal).getRefusedAt(), retention, minPerSweep,
                BOOKMARKS).scheduleOn(context);
    }

    /** The sweep's schedule, for the task to cancel when it stops being active here. */
    Cancellable sweeping() {
        return sweep;
    }

    /** Whether the request was refused, within the retention. */
    boolean refused(String requestId) {
        return store.get(requestId) != null;
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
}
