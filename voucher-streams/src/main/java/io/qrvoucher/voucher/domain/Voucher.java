package io.qrvoucher.voucher.domain;

import java.time.Instant;

/**
 * The state of one voucher. {@code codeHash} is a hash of the bearer code: the code itself is
 * never kept. {@code version} grows by one with every change.
 */
public record Voucher(
        String id,
        String payerCustomerId,
        String accountId,
        Money faceValue,
        String codeHash,
        VoucherStatus status,
        HoldState hold,
        Instant createdAt,
        Instant expiresAt,
        Instant updatedAt,
        long version,
        String generateRequestId,
        String cancelRequestId,
        Redemption redemption,
        String reason) {

    /** Nothing more can happen to it: its status is final and its money ended, no hold left and no command out. */
    public boolean isAtRest() {
        return status.isFinal() && hold != HoldState.HELD && !hold.awaitsLedger();
    }

    public boolean isDueAt(Instant now) {
        return status.canExpire() && !now.isBefore(expiresAt);
    }

    Voucher moveTo(VoucherStatus newStatus, HoldState newHold, Instant now) {
        return new Voucher(id, payerCustomerId, accountId, faceValue, codeHash, newStatus, newHold, createdAt,
                expiresAt, now, version + 1, generateRequestId, cancelRequestId, redemption, reason);
    }

    Voucher withHold(HoldState newHold, Instant now) {
        return moveTo(status, newHold, now);
    }

    Voucher withReason(String newReason) {
        return new Voucher(id, payerCustomerId, accountId, faceValue, codeHash, status, hold, createdAt,
                expiresAt, updatedAt, version, generateRequestId, cancelRequestId, redemption, newReason);
    }

    Voucher withCancelRequest(String requestId) {
        return new Voucher(id, payerCustomerId, accountId, faceValue, codeHash, status, hold, createdAt,
                expiresAt, updatedAt, version, generateRequestId, requestId, redemption, reason);
    }

    Voucher withRedemption(Redemption accepted) {
        return new Voucher(id, payerCustomerId, accountId, faceValue, codeHash, status, hold, createdAt,
                expiresAt, updatedAt, version, generateRequestId, cancelRequestId, accepted, reason);
    }
}
