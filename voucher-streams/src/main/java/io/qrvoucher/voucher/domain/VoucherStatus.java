package io.qrvoucher.voucher.domain;

import io.qrvoucher.schemas.VoucherRules;

public enum VoucherStatus {
    PENDING, UNUSED, REJECTED, REDEEMING, REDEEMED, REDEEM_FAILED, CANCELLED, EXPIRED;

    public boolean isFinal() {
        return VoucherRules.isFinal(name());
    }

    /**
     * Only an issued voucher not yet used ends on its own when its validity runs out, or is cancelled: a pending one
     * is issued or rejected first (SPEC: PENDING leads to UNUSED or REJECTED only).
     */
    public boolean canExpire() {
        return this == UNUSED;
    }
}
