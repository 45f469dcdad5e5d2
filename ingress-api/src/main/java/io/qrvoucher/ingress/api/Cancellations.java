package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import io.qrvoucher.avro.CancelVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import reactor.core.publisher.Mono;

/** Cancelling an unused voucher, by its payer; the call waits a little for the outcome by default. */
final class Cancellations {

    private static final Duration CANCEL_WAIT = Duration.ofSeconds(5);

    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final IdempotencyKeys idempotencyKeys;
    private final Representations representations;
    private final IngressProperties properties;
    private final Clock clock;

    Cancellations(VoucherReads reads, RequestPublisher publisher, IdempotencyKeys idempotencyKeys,
                  Representations representations, IngressProperties properties, Clock clock) {
        this.reads = reads;
        this.publisher = publisher;
        this.idempotencyKeys = idempotencyKeys;
        this.representations = representations;
        this.properties = properties;
        this.clock = clock;
    }

    Mono<ResponseEntity<Dtos.Voucher>> cancel(String customerId, String voucherId, String idempotencyKey, String prefer) {
        Duration wait = Prefer.waitOf(prefer, CANCEL_WAIT, properties.limits().maxWait());
        return representations.visible(reads, voucherId, customerId)
                .flatMap(voucher -> {
                    if (!voucher.getPayerCustomerId().equals(customerId)) {
                        return Mono.error(new ApiException(HttpStatus.FORBIDDEN, "NOT_OWNER",
                                "Only the payer may cancel a voucher"));
                    }
                    return idempotencyKeys.resolve(customerId, idempotencyKey, IdempotencyKeys.hash("cancel", voucherId),
                                    IdempotencyKeys.Ids.fresh(voucherId))
                            // Should it be answered before its outcome, it keeps its place until then.
                            .flatMap(ids -> AdmissionControl.publish(publisher.publish(new VoucherRequest(ids.requestId(),
                                                    voucherId, customerId, clock.instant(), new CancelVoucher())),
                                            properties.limits().maxWait(), within -> outcome(voucherId, ids.requestId(), within))
                                    .then(outcome(voucherId, ids.requestId(), wait))
                                    .map(answer -> {
                                        if (answer.getRefusal() != null) {
                                            String reason = answer.getRefusal().getReason();
                                            throw ApiException.conflict(reason, "The voucher cannot be cancelled: " + reason);
                                        }
                                        return ResponseEntity.ok(representations.voucher(answer.getVoucher(), customerId));
                                    })
                                    // Accepted, its outcome not known yet: the voucher as it was, without the code
                                    // its payer is cancelling, and where to read the outcome.
                                    .switchIfEmpty(Mono.fromSupplier(() -> Representations.accepted(
                                            representations.voucher(voucher, customerId).withoutCode()))));
                });
    }

    /** The cancel's outcome: the voucher it cancelled, or its refusal; empty if not known within the wait. */
    private Mono<VoucherAnswer> outcome(String voucherId, String requestId, Duration wait) {
        if (wait.isZero()) {
            return Mono.empty();
        }
        return VoucherReads.afterPublished(reads.awaitUntil(voucherId, requestId, answer -> answer.getVoucher() != null
                && requestId.equals(answer.getVoucher().getCancelRequestId()), wait));
    }
}
