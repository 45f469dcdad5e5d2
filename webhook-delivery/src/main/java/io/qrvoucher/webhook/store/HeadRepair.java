package io.qrvoucher.webhook.store;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Mends the endpoints' head rows the dispatcher finds its work by ({@code webhook_endpoint_heads}), should one not say
 * when its endpoint's head is due. The database keeps them in the very transactions that change the queues; a row
 * differs from its queue when an attempt ended while deliveries to its endpoint were being recorded (left early, which
 * the next worker sends from anyway), when a head tried again later and a delivery numbered before it but committed
 * after it (late, by up to the backoff: this sweep bounds that to its interval), by a moment when two instances record
 * the first deliveries to one endpoint at once and the later-numbered commits first — or by a bug or a hand, a missing
 * row leaving its endpoint unsent until the sweep. One instance looks at a time; each endpoint is mended in its own
 * transaction, not while an attempt holds it (the attempt's end sets the row).
 */
public final class HeadRepair {

    private static final Logger log = LoggerFactory.getLogger(HeadRepair.class);

    private final WebhookStore store;
    private final TransactionTemplate transactions;
    private final int batch;
    private final Counter repaired;

    /** @param batch endpoints looked at and mended at most a sweep */
    public HeadRepair(WebhookStore store, TransactionTemplate transactions, int batch, MeterRegistry meters) {
        this.store = store;
        this.transactions = transactions;
        this.batch = batch;
        this.repaired = Counter.builder("webhook.endpoint.heads.repaired")
                .description("Endpoints whose head row did not say when their oldest pending delivery is due, mended")
                .register(meters);
    }

    /** Mends the wrong head rows found (at most a batch); a failure is logged and left to the next sweep. */
    public void sweep() {
        try {
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
