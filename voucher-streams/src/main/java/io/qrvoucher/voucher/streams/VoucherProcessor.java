package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.voucher.domain.Decision;
import io.qrvoucher.voucher.domain.LedgerResult;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherInput;
import io.qrvoucher.voucher.domain.VoucherLifecycle;
import io.qrvoucher.voucher.domain.VoucherRequest;
import io.qrvoucher.voucher.streams.VoucherTopology.ExpirySettings;
import io.qrvoucher.voucher.streams.VoucherTopology.WatchdogSettings;

/**
 * Applies every input of the task's vouchers — customers' requests and ledger results, in the order
 * the task reads them — keeps the refusals of requests for their requesters to read, and runs the
 * task's timers: the build of its indexes as it starts, expiry, the watchdog over vouchers waiting on the ledger, the
 * listing of those that wait past a grace, and the sweeps of old refusals and of vouchers long at rest.
 */
final class VoucherProcessor implements Processor<String, VoucherInput, String, Object> {

    private static final Logger log = LoggerFactory.getLogger(VoucherProcessor.class);

    private final VoucherLifecycle lifecycle;
    private final ExpirySettings expiry;
    private final WatchdogSettings watchdog;
    private final Duration refusalRetention;
    private final Duration finalRetention;
    private final Duration listingGrace;
    private final VoucherChanges changes;
    private final RecordTracing tracing;
    private ProcessorContext<String, Object> context;
    private Vouchers vouchers;
    private RequestRefusals refusals;
    private TopologyMetrics metrics;
    private List<Cancellable> schedules = List.of();

    /**
     * @param refusalRetention how long a refused request's refusal is kept
     * @param finalRetention   how long a voucher is kept once it is at rest (final, its money ended)
     * @param listingGrace     how long a voucher pending or being redeemed must stay so to be listed so
     */
    VoucherProcessor(VoucherLifecycle lifecycle, ExpirySettings expiry, WatchdogSettings watchdog,
                     Duration refusalRetention, Duration finalRetention, Duration listingGrace, VoucherChanges changes,
                     RecordTracing tracing) {
        this.lifecycle = lifecycle;
        this.expiry = expiry;
        this.watchdog = watchdog;
        this.refusalRetention = refusalRetention;
        this.finalRetention = finalRetention;
        this.listingGrace = listingGrace;
        this.changes = changes;
        this.tracing = tracing;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.metrics = new TopologyMetrics(context);
        this.vouchers = new Vouchers(context, metrics, changes, watchdog.listener());
        this.refusals = new RequestRefusals(context, refusalRetention, expiry.maxPerPunctuation());
        schedules = List.of(vouchers.buildIndexes(expiry.maxPerPunctuation()), refusals.sweeping(),
                vouchers.forgetAtRestAfter(finalRetention, expiry.maxPerPunctuation()),
                vouchers.listWaitingOnTheLedgerAfter(listingGrace, expiry.maxPerPunctuation()),
                context.schedule(expiry.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME,
                        new ExpiryPunctuator(lifecycle, vouchers, expiry.maxPerPunctuation(), metrics)),
                context.schedule(watchdog.checkInterval(), PunctuationType.WALL_CLOCK_TIME,
                        new StallWatchdog(lifecycle, vouchers, watchdog.stalledAfter(), expiry.maxPerPunctuation(), metrics)));
    }

    @Override
    public void process(Record<String, VoucherInput> record) {
        try (RecordTracing.Handling handling = tracing.handle(VoucherTopology.APPLY_INPUTS, record.headers())) {
            if (record.value() instanceof VoucherRequest request && !(request instanceof VoucherRequest.Generate)
                    && refusals.refused(request.requestId())) {
                // A retry with the Idempotency-Key of a request refused before: its answer stands, even where the
                // voucher has moved on so that the request would now be taken (a cancel refused while pending). Not
                // looked up for a generation, the most frequent request: its only refusal (the voucher id is
                // another's) stands as long as that voucher does.
                return;
            }
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            Optional<Voucher> current = vouchers.find(record.key());
            if (current.isEmpty() && record.value() instanceof LedgerResult result) {
                // A command is sent only for a voucher held here, and its result comes back by the same key: unless
                // ledger-results has another partition count than voucher-requests, or the voucher is long forgotten.
                log.warn("Ledger result {} ({}) of voucher {}, which task {} does not hold: ignored", result.commandId(),
                        result.outcome(), result.voucherId(), context.taskId());
            }
            Decision decision = lifecycle.apply(current, record.value(), now);
            vouchers.carryOut(current, decision, now, handling);
            if (record.value() instanceof VoucherRequest request && refusals.record(request, decision, now)) {
                changes.refused(record.key());
            }
        }
    }

    /**
     * The task stops being active here. Kafka Streams keeps a task's schedules when it suspends and resumes it (or
     * revives it), and calls init again: cancelled here, or each init would add another set, the old ones working on
     * the old state.
     */
    @Override
    public void close() {
        schedules.forEach(Cancellable::cancel);
        vouchers.leave();
        metrics.unregister();
    }
}
