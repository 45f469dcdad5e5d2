package io.qrvoucher.webhook.store;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Mends the endpoints' head rows the dispatcher finds its work by ({@code webhook_endpoint_heads}) that are missing,
 * late, or left when nothing is pending. The database keeps them in the very transactions that change the queues; a
 * row is late when a head was tried again later and a delivery numbered before it committed after it (by up to the
 * backoff: this sweep bounds that to its interval), or by a moment when two instances record the first deliveries to
 * one endpoint at once and the later-numbered commits first; left when a recording was rolled back; missing only by a
 * bug or a hand, which would leave its endpoint unsent until the sweep. (Early rows, left by an attempt that ended
 * while deliveries to its endpoint were being recorded, are the workers' to mend; one whose queue shows nothing yet is
 * listed as left over, and left as it is until the recordings commit.) One instance looks at a time; each endpoint is
 * mended in its own transaction, not while an attempt holds it (the attempt's end sets the row); only rows changed are
 * counted. It also wakes the deliveries left waiting behind one that is no longer pending ({@code V12}: a give-up of
 * many at once passes over one a recording holds), of a batch of endpoints, each in its own transaction under the
 * endpoint's lock, before it looks at the rows, which their wake sets.
 */
public final class HeadRepair {

    private static final Logger log = LoggerFactory.getLogger(HeadRepair.class);

    private final WebhookStore store;
    private final TransactionTemplate transactions;
    private final int batch;
    private final Counter repaired;
    private final Counter woken;

    /** @param batch endpoints looked at and mended at most a sweep */
    public HeadRepair(WebhookStore store, TransactionTemplate transactions, int batch, MeterRegistry meters) {
        this.store = store;
        this.transactions = transactions;
        this.batch = batch;
        this.repaired = Counter.builder("webhook.endpoint.heads.repaired")
                .description("Endpoints whose head row did not say when their next delivery is due, mended")
                .register(meters);
        this.woken = Counter.builder("webhook.deliveries.woken")
                .description("Deliveries found waiting behind one no longer pending, made their voucher's head")
                .register(meters);
    }

    /** Mends the wrong head rows found (at most a batch); a failure is logged and left to the next sweep. */
    public void sweep() {
        try {
            List<String> stranded = transactions.execute(status -> store.endpointsWithDeliveriesWaitingBehindNone(batch));
            int wakes = 0;
            for (String endpointId : stranded) {
                wakes += transactions.execute(status -> store.wakeDeliveriesWaitingBehindNone(endpointId));
            }
            woken.increment(wakes);
            if (wakes > 0) {
                log.info("Woke {} webhook deliveries waiting behind one no longer pending", wakes);
            }
            List<String> wrong = transactions.execute(status -> store.endpointsWithWrongHeads(batch));
            int mended = 0;
            for (String endpointId : wrong) {
                if (Boolean.TRUE.equals(transactions.execute(status -> store.repairHead(endpointId)))) {
                    mended++;
                }
            }
            repaired.increment(mended);
            if (mended > 0) {
                log.info("Mended the head rows of {} webhook endpoints", mended);
            }
        } catch (RuntimeException e) {
            log.warn("Webhook endpoints' head rows could not be checked now; the next sweep tries again: {}",
                    NestedExceptionUtils.getMostSpecificCause(e).toString());
        }
    }
}
