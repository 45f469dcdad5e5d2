package io.qrvoucher.ledger.reconciliation;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.DatabaseSilence;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The reconciliation's report on the internal API, made when asked: the disagreements and the stuck vouchers of now. */
@RestController
@ConditionalOnBooleanProperty(name = "ledger.reconciliation.enabled", matchIfMissing = true)
class ReconciliationReportController {

    private final ReconciliationStore store;
    private final Reconciler reconciler;
    private final int reportSize;

    ReconciliationReportController(ReconciliationStore store, Reconciler reconciler, LedgerProperties properties) {
        this.store = store;
        this.reconciler = reconciler;
        this.reportSize = properties.reconciliation().reportSize();
    }

    @GetMapping("/internal/reconciliation")
    Mono<ResponseEntity<?>> report() {
        return Mono.fromCallable(() -> ReconciliationReport.now(store, reconciler, reportSize))
                .subscribeOn(Schedulers.boundedElastic()) // JDBC blocks
                .<ResponseEntity<?>>map(report -> ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(report))
                .onErrorResume(DatabaseSilence::is,
                        silence -> Mono.just(DatabaseSilence.answer("the reconciliation report", silence)));
    }
}
