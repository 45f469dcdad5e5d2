package io.qrvoucher.webhook.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Keeps finished deliveries for {@code webhook.delivery.retention}, so that customers can look back at them and
 * resend one, and then forgets them with their attempts ({@link WebhookStore#forgetFinishedBefore}): without it the
 * deliveries of every event ever sent would stay. A sweep deletes the deliveries of a batch of (event, endpoint)
 * pairs at a time, each batch its own transaction, until nothing more is old enough. Every instance sweeps; two at
 * once delete each row once, and one that stops early leaves the rest to the next sweep. The sweep also forgets the
 * signing secrets replaced more than a day ago ({@link WebhookStore#forgetReplacedSecrets}), and gives up the queues of
 * endpoints disabled for longer than the give-up age ({@link WebhookStore#giveUpQueueOfAnEndpointDisabledBefore}),
 * which are then forgotten as any finished delivery.
 */
public final class DeliveryRetention {

    private static final Logger log = LoggerFactory.getLogger(DeliveryRetention.class);

    private final WebhookStore store;
    private final TransactionTemplate transactions;
    private final Duration retention;
    private final Duration disabledQueuesKept;
    private final int batch;
    private final Clock clock;
    private final Counter forgotten;
    private final Counter givenUpDisabled;

    /**
     * @param disabledQueuesKept how long a disabled endpoint's queue waits for its customer to enable it: the give-up
     *                           age, past which its deliveries made before it was disabled would be given up at their
     *                           first attempt anyway (a resend asked for meanwhile goes with them)
     * @param batch              (event, endpoint) pairs whose deliveries one transaction forgets at most
     */
    public DeliveryRetention(WebhookStore store, TransactionTemplate transactions, Duration retention,
                             Duration disabledQueuesKept, int batch, Clock clock, MeterRegistry meters) {
        this.store = store;
        this.transactions = transactions;
        this.retention = retention;
        this.disabledQueuesKept = disabledQueuesKept;
        this.batch = batch;
        this.clock = clock;
        this.forgotten = Counter.builder("webhook.deliveries.forgotten")
                .description("Finished webhook deliveries deleted, with their attempts, after the retention")
                .register(meters);
        this.givenUpDisabled = Counter.builder("webhook.deliveries.given.up.disabled")
                .description("Deliveries given up unattempted: their endpoint was left disabled past the give-up age")
                .register(meters);
    }

    /**
     * Forgets every delivery older than the retention, and the signing secrets replaced more than a day ago, and gives
     * up the queues of endpoints disabled longer than the give-up age; a failure is logged and left to the next sweep.
     */
    public void sweep() {
        Instant now = clock.instant();
        Instant cutoff = now.minus(retention);
        try {
            transactions.execute(status -> store.forgetReplacedSecrets(now));
            giveUpQueuesLeftDisabled(now);
            Integer deleted;
            do {
                deleted = transactions.execute(status -> store.forgetFinishedBefore(cutoff, batch));
                forgotten.increment(deleted);
            } while (deleted > 0);
        } catch (RuntimeException e) {
            log.warn("Webhook deliveries finished before {}, secrets replaced a day ago, or queues of endpoints left "
                    + "disabled could not be forgotten or given up now; the next sweep tries again: {}", cutoff,
                    NestedExceptionUtils.getMostSpecificCause(e).toString());
        }
    }

    /** A batch of one endpoint's queue at a time, each its own transaction, until none is left to give up. */
    private void giveUpQueuesLeftDisabled(Instant now) {
        Set<String> passedOver = new HashSet<>();
        while (true) {
            Optional<WebhookStore.DisabledQueueGivenUp> givenUp = transactions.execute(status ->
                    store.giveUpQueueOfAnEndpointDisabledBefore(now.minus(disabledQueuesKept), passedOver, now));
            if (givenUp == null || givenUp.isEmpty()) {
                return;
            }
            if (givenUp.get().deliveries() == 0) {
                passedOver.add(givenUp.get().endpointId());
                continue;
            }
            givenUpDisabled.increment(givenUp.get().deliveries());
            log.info("Gave up {} deliveries to webhook endpoint {}, disabled for longer than {} (its receiver answered "
                    + "410 Gone)", givenUp.get().deliveries(), givenUp.get().endpointId(), disabledQueuesKept);
        }
    }
}
