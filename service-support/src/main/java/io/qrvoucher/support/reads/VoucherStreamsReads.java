package io.qrvoucher.support.reads;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.AttemptsAnswer;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import reactor.core.publisher.Mono;

/**
 * What one voucher-streams instance answers the ingress from the partitions of its stores that it holds
 * (actively or as a standby): its internal read API, {@code GET /internal/...}. The ingress asks it over
 * HTTP, or directly where both run in one process (see {@link ColocatedOwners}); the answers are the same.
 * A key whose partition the instance does not hold fails with {@link NotHeld}: another instance may hold it.
 * A {@code wait} is never null: {@link Duration#ZERO} reads once, at once.
 */
public interface VoucherStreamsReads {

    /** How a voucher is listed: by the customer as payer (created) or as payee (redeemed). */
    enum Role {
        PAYER, PAYEE
    }

    /**
     * The voucher (null inside if there is none) and the refusal of {@code requestId} (may be null). With a
     * positive {@code wait}, a long poll: answered once the voucher's version exceeds {@code afterVersion} or
     * the request was refused, at the latest after the wait, as it is then.
     */
    Mono<VoucherAnswer> voucher(String voucherId, String requestId, long afterVersion, Duration wait);

    /**
     * A page of a customer's vouchers in a role, newest first, in {@code [from, to)}, of the given statuses.
     *
     * @param after the {@code next} of the previous page, or null
     * @param skip  matching vouchers to pass over first
     */
    Mono<VoucherPage> vouchersOf(String customerId, Role role, Instant from, Instant to, Set<VoucherStatus> statuses,
                                 String after, int skip, int size);

    /**
     * The customer's settings (null inside if the customer never changed any). With a positive {@code wait},
     * answered once the change at {@code afterOffset} of the customer's partition is merged in, at the latest
     * after the wait: how a writer reads its own write.
     */
    Mono<SettingsAnswer> settings(String customerId, long afterOffset, Duration wait);

    /**
     * The first claim of an Idempotency-Key or sign-in within the claim window (null inside if none); with a
     * positive {@code wait}, once there is one, at the latest after the wait.
     *
     * @param claimKey the key the claim is published under ({@code VoucherRules.claimKey})
     */
    Mono<ClaimAnswer> claim(String claimKey, Duration wait);

    /** A customer's attempts of a kind since {@code since}, oldest first: the newest {@code max}. */
    Mono<AttemptsAnswer> attempts(String customerId, AttemptKind kind, Instant since, int max);

    /** The query cannot be answered as asked (a cursor of another list, say): no instance would answer it. */
    final class BadQuery extends RuntimeException {
        public BadQuery(String message) {
            super(message);
        }
    }

    /** The instance does not hold the key's partition (no longer, or not yet): another instance may. */
    final class NotHeld extends RuntimeException {
        public NotHeld(String message) {
            super(message);
        }
    }
}
