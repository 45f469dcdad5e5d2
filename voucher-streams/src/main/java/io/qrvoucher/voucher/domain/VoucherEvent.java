package io.qrvoucher.voucher.domain;

/**
 * What happened to a voucher. {@code voucher} is its state after the event (null only when a
 * request named a voucher that does not exist); {@code requestId} and {@code customerId} name the
 * request that caused it, when one did.
 */
public record VoucherEvent(Type type, String voucherId, Voucher voucher, String requestId, String customerId,
                           String reason) {

    public enum Type {
        REQUESTED, ISSUED, REJECTED, REDEMPTION_STARTED, REDEEMED, REDEEM_FAILED, CANCELLED, EXPIRED, REQUEST_REFUSED,
        /** The voucher has waited on the ledger too long; its state is unchanged. */
        STALLED,
        /** The ledger did something the voucher cannot explain; reconciliation must look at it. */
        LEDGER_MISMATCH
    }

    static VoucherEvent of(Type type, Voucher voucher) {
        return new VoucherEvent(type, voucher.id(), voucher, null, null, voucher.reason());
    }

    static VoucherEvent causedBy(Type type, Voucher voucher, VoucherRequest request) {
        return new VoucherEvent(type, voucher.id(), voucher, request.requestId(), request.customerId(), voucher.reason());
    }

    static VoucherEvent refused(VoucherRequest request, Voucher voucher, Refusal refusal) {
        return new VoucherEvent(Type.REQUEST_REFUSED, request.voucherId(), voucher, request.requestId(),
                request.customerId(), refusal.name());
    }
}
