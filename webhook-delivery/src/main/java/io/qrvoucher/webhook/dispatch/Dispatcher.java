package io.qrvoucher.webhook.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.qrvoucher.webhook.core.RetrySchedule;
import io.qrvoucher.webhook.store.Endpoint;
import io.qrvoucher.webhook.store.WebhookStore;

/**
 * Sends due deliveries. Each worker takes an endpoint with a delivery due (found by the endpoints' head rows, one
 * probe of an index), locked in the database for the length of one attempt ({@link WebhookStore#lockNextDue}), sends
 * the first due of its vouchers' heads and records the attempt in the same transaction: an endpoint's deliveries go one
 * at a time over all the instances, each voucher's in order, and a delivery waits until the one before it of its
 * voucher was delivered or given up. After a failed attempt the endpoint rests for the backoff its failures in a row
 * have earned, so that a dead endpoint is not tried once for each voucher queued to it. Nothing is kept in memory: an
 * instance that dies mid-attempt releases its lock with its connection, and the delivery is tried again (receivers
 * de-duplicate by event id). Each attempt is a span of the trace its event was recorded in ({@link DeliveryTraces}).
 */
public final class Dispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** How long stopping waits for the attempts in flight before it interrupts the workers. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);
    /** Attempts one worker makes before it lets the others' turn come (and looks at its schedule again). */
    private static final int ATTEMPTS_PER_ROUND = 100;
    /** The answer with which a receiver says it takes no more deliveries. */
    private static final int GONE_STATUS = 410;

    private final WebhookStore store;
    private final TransactionTemplate transactions;
    private final WebhookSender sender;
    private final DeliveryTraces traces;
    private final RetrySchedule schedule;
    private final int workers;
    private final Duration pollInterval;
    private final Clock clock;
    private final Counter delivered;
    private final Counter failed;
    private final Counter givenUp;
    private final Counter givenUpBehind;
    private final Counter disabled;
    private ScheduledExecutorService executor;
    /**
     * Set as this run of the workers stops: none begins an attempt after it, and one cut short by it is not recorded.
     * One a run: a worker still finishing an attempt when {@link #stop} returns keeps seeing its run stopped, whatever
     * {@link #start} does next.
     */
    private AtomicBoolean stopping = new AtomicBoolean();

    public Dispatcher(WebhookStore store, TransactionTemplate transactions, WebhookSender sender, DeliveryTraces traces,
                      RetrySchedule schedule, int workers, Duration pollInterval, Clock clock, MeterRegistry meters) {
        this.store = store;
        this.transactions = transactions;
        this.sender = sender;
        this.traces = traces;
        this.schedule = schedule;
        this.workers = workers;
        this.pollInterval = pollInterval;
        this.clock = clock;
        this.delivered = outcome(meters, "delivered");
        this.failed = outcome(meters, "failed");
        this.givenUp = outcome(meters, "given_up");
        this.givenUpBehind = Counter.builder("webhook.deliveries.given.up.unattempted")
                .description("Deliveries given up without an attempt: past the give-up age, with a delivery of their endpoint given up")
                .register(meters);
        this.disabled = Counter.builder("webhook.endpoints.disabled")
                .description("Endpoints disabled because their receiver answered 410 Gone")
                .register(meters);
    }

    private static Counter outcome(MeterRegistry meters, String outcome) {
        return Counter.builder("webhook.attempts").tag("outcome", outcome)
                .description("Attempts to deliver a webhook: delivered, failed (tried again later) or failed and given up")
                .register(meters);
    }

    @Override
    public synchronized void start() {
        AtomicBoolean run = new AtomicBoolean();
        stopping = run;
        AtomicInteger number = new AtomicInteger();
        executor = Executors.newScheduledThreadPool(workers, task -> {
            Thread thread = new Thread(task, "webhook-worker-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        for (int i = 0; i < workers; i++) {
            executor.scheduleWithFixedDelay(() -> sendDue(run), 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Sends due deliveries until none is due (or a round is done); the schedule calls it again after the poll interval. */
    private void sendDue(AtomicBoolean stopped) {
        try {
            // A look that only mended an endpoint's early head row (kept with its transaction) finds nothing; one more,
            // in a transaction of its own, finds what is due after it.
            for (int i = 0; i < ATTEMPTS_PER_ROUND && (attemptOne(stopped) || attemptOne(stopped)); i++) {
                // next
            }
        } catch (RuntimeException e) {
            // The database failed: nothing was recorded, the endpoint's lock is gone, the delivery stays due.
            log.warn("Webhook worker could not take or record a delivery: {}",
                    NestedExceptionUtils.getMostSpecificCause(e).toString());
        } catch (Error e) {
            // Thrown out of a task of a scheduled executor, it would end this worker's schedule without a word: the
            // instance would go on with a worker fewer, and with none after as many. Its transaction rolled back,
            // so the delivery stays due. (Out of memory ends the JVM first: the images run with ExitOnOutOfMemoryError.)
            log.error("Webhook worker failed; it looks for due deliveries again after its poll interval", e);
        }
    }

    /** One attempt of one due delivery; false if none was due, or the run is stopping. */
    private boolean attemptOne(AtomicBoolean stopped) {
        if (stopped.get()) {
            return false;
        }
        Boolean attempted = transactions.execute(status -> {
            Instant now = clock.instant();
            Optional<WebhookStore.Due> next = store.lockNextDue(now);
            if (next.isEmpty()) {
                return false;
            }
            WebhookStore.Due due = next.get();
            WebhookSender.Outcome outcome = send(due);
            if (!outcome.delivered() && stopped.get() && Thread.currentThread().isInterrupted()) {
                // Cut short by the instance stopping (its lookup or its wait interrupted): not the endpoint's failure,
                // so nothing is recorded and the delivery stays due, for another instance or the next start. A
                // delivery the endpoint took is recorded as such, stopping or not.
                status.setRollbackOnly();
                return false;
            }
            Instant after = clock.instant();
            Optional<Instant> retry = outcome.delivered() ? Optional.empty()
                    : schedule.afterFailure(due.createdAt(), due.attempts() + 1, after, outcome.retryAfter());
            Instant restsUntil = schedule.endpointRestsUntil(due.endpointFailuresInARow() + 1, retry, after,
                    outcome.retryAfter());
            store.recordAttempt(due, now, outcome.durationMs(), outcome.statusCode(), outcome.error(),
                    outcome.delivered(), retry, restsUntil, after);
            // The receiver says it takes no more: sending on, every event for a day each, only wastes its customer's
            // places (WebhookStore's attempts at once per customer). Its queue waits, in order, to be enabled again.
            Integer answered = outcome.statusCode();
            if (answered != null && answered == GONE_STATUS && store.disable(due.endpointId(), Endpoint.GONE, after)) {
                disabled.increment();
                log.warn("Webhook endpoint {} disabled: its receiver answered 410 Gone to delivery {}; nothing more is "
                        + "sent to it until its customer enables it again", due.endpointId(), due.deliveryId());
            }
            if (outcome.delivered()) {
                delivered.increment();
            } else if (retry.isPresent()) {
                failed.increment();
            } else {
                givenUp.increment();
                // The endpoint's other pending deliveries as old (up to 100) are given up with it, unattempted: tried once each, at up to an
                // attempt's time limit apiece, a dead endpoint's queue drained slower than a busy customer's events
                // came, without end, and held a worker all the while.
                int behind = store.giveUpPendingCreatedBefore(due.endpointId(), after.minus(schedule.giveUpAfter()), after);
                givenUpBehind.increment(behind);
                log.warn("Webhook delivery {} of event {} to endpoint {} given up after {} attempts, and {} as old behind "
                                + "it unattempted: {}", due.deliveryId(), due.eventId(), due.endpointId(), due.attempts() + 1,
                        behind, outcome.statusCode() != null ? "HTTP " + outcome.statusCode() : WebhookStore.kept(outcome.error()));
            }
            return true;
        });
        return Boolean.TRUE.equals(attempted);
    }

    private WebhookSender.Outcome send(WebhookStore.Due due) {
        Span span = traces.attempt(due.traceContext())
                .tag("webhook.event.id", due.eventId())
                .tag("webhook.delivery.id", due.deliveryId())
                .tag("webhook.attempt", due.attempts() + 1);
        try (Tracer.SpanInScope scope = traces.inScope(span)) {
            WebhookSender.Outcome outcome = sender.send(due);
            span.tag("webhook.delivered", outcome.delivered());
            if (outcome.statusCode() != null) {
                span.tag("http.response.status_code", outcome.statusCode());
            }
            if (outcome.error() != null) {
                span.tag("error.type", outcome.error());
            }
            return outcome;
        } catch (RuntimeException e) {
            span.error(e);
            throw e;
        } finally {
            span.end();
        }
    }

    @Override
    public synchronized void stop() {
        if (executor != null) {
            stopping.set(true);
            executor.shutdown();
            try {
                // Attempts in flight get a moment to be recorded; then workers still waiting (for a connection
                // of a database that is going away, say) are interrupted. An attempt cut short holds no lock once
                // its connection is gone, and is simply made again.
                if (!executor.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    executor.shutdownNow();
                    executor.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                executor.shutdownNow();
                Thread.currentThread().interrupt();
            }
            executor = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return executor != null;
    }
}
