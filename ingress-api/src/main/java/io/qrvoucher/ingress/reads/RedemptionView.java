package io.qrvoucher.ingress.reads;

import java.time.Instant;
import java.util.Optional;

import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.RequestRefusal;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.schemas.VoucherRules;

/**
 * A redemption as its payee sees it. {@code amountMinor} is null until known for a full redemption;
 * {@code destination} and {@code requestedAt} are null while the voucher's owner has not seen it yet.
 */
public record RedemptionView(String id, String voucherId, String payeeCustomerId, Instant requestedAt,
                             Long amountMinor, Object destination, Status status, String reason) {

    public enum Status {
        PENDING, SUCCEEDED, FAILED, REJECTED
    }

    /**
     * The redemption {@code redemptionId} as the voucher's owner answered about it: the voucher's accepted
     * redemption, a refused request, one refused for the status of a final voucher, or, if the owner knows none of
     * these, a redemption still pending.
     */
    public static RedemptionView of(String redemptionId, String voucherId, String payeeCustomerId, VoucherAnswer answer) {
        VoucherState voucher = answer.getVoucher();
        if (voucher != null && voucher.getRedemption() != null
                && voucher.getRedemption().getRequestId().equals(redemptionId)) {
            return accepted(voucher);
        }
        RequestRefusal refusal = answer.getRefusal();
        if (refusal != null && refusal.getRequestId().equals(redemptionId)) {
            Optional<RedeemVoucher> asked = Optional.ofNullable(refusal.getRedemption());
            return new RedemptionView(redemptionId, voucherId, refusal.getCustomerId(), refusal.getRequestedAt(),
                    asked.map(RedeemVoucher::getAmountMinor).orElse(null),
                    asked.map(RedeemVoucher::getDestination).orElse(null), Status.REJECTED, refusal.getReason());
        }
        if (voucher != null && VoucherRules.isFinal(voucher.getStatus().name())) {
            // Not the voucher's redemption, and the voucher will take none: the request is refused for its status.
            // The answer once the owner has forgotten the refusal (it keeps them for the claim window), which it
            // was, for that reason or another; or before the owner has read the request, which it will be.
            return new RedemptionView(redemptionId, voucherId, payeeCustomerId, null, null, null, Status.REJECTED,
                    VoucherRules.refusalForStatus(voucher.getStatus().name()));
        }
        return new RedemptionView(redemptionId, voucherId, payeeCustomerId, null, null, null, Status.PENDING, null);
    }

    /** The redemption the voucher accepted, with the voucher's progress. */
    private static RedemptionView accepted(VoucherState voucher) {
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

    public boolean isSettled() {
        return status != Status.PENDING;
    }
}
