package io.qrvoucher.ingress.view;

import java.time.Instant;

import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;

/** A redemption as its payee sees it. {@code amountMinor} is null until known for a full redemption. */
public record RedemptionView(String id, String voucherId, String payeeCustomerId, Instant requestedAt,
                             Long amountMinor, Object destination, Status status, String reason) {

    public enum Status {
        PENDING, SUCCEEDED, FAILED, REJECTED
    }

    static RedemptionView requested(VoucherRequest request, RedeemVoucher redeem) {
        return new RedemptionView(request.getRequestId(), request.getVoucherId(), request.getCustomerId(),
                request.getRequestedAt(), redeem.getAmountMinor(), redeem.getDestination(), Status.PENDING, null);
    }

    /** The redemption the voucher accepted, with the voucher's progress. */
    static RedemptionView of(VoucherState voucher, RedemptionView known) {
        io.qrvoucher.avro.Redemption accepted = voucher.getRedemption();
        Status status = switch (voucher.getStatus()) {
            case REDEEMED -> Status.SUCCEEDED;
            case REDEEM_FAILED -> Status.FAILED;
            default -> Status.PENDING;
        };
        return new RedemptionView(accepted.getRequestId(), voucher.getVoucherId(), accepted.getPayeeCustomerId(),
                accepted.getRequestedAt(), accepted.getAmountMinor(), accepted.getDestination(), status,
                status == Status.FAILED ? voucher.getReason() : null);
    }

    RedemptionView refused(String refusal) {
        return new RedemptionView(id, voucherId, payeeCustomerId, requestedAt, amountMinor, destination,
                Status.REJECTED, refusal);
    }

    public boolean isSettled() {
        return status != Status.PENDING;
    }
}
