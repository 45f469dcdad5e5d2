package io.qrvoucher.ledger.reconciliation;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report an operator reads at {@code GET /internal/reconciliation}: the open mismatches per check
 * and the newest of them, from the shared tables (any instance gives the same answer), and when this
 * instance last finished a run.
 *
 * @param lastSuccessfulRunOnThisInstance null before this instance's first run
 */
record ReconciliationReport(Map<String, Long> openMismatches, List<ReconciliationStore.Mismatch> newestMismatches,
                            Instant lastSuccessfulRunOnThisInstance) {

    static ReconciliationReport now(ReconciliationStore store, Reconciler reconciler, int size) {
        Map<String, Long> open = new LinkedHashMap<>();
        store.mismatchCounts().forEach((check, count) -> open.put(check.id(), count));
        return new ReconciliationReport(open, store.newestMismatches(size), reconciler.lastSuccess().orElse(null));
    }
}
