package io.qrvoucher.voucher.domain;

import io.qrvoucher.schemas.VoucherRules;

public enum VoucherStatus {
    PENDING, UNUSED, REJECTED, REDEEMING, REDEEMED, REDEEM_FAILED, CANCELLED, EXPIRED;

    public boolean isFinal() {
        return VoucherRules.isFinal(name());
    }

    /** Only these statuses end on their own when the validity runs out. */
    public boolean canExpire() {
        return this == PENDING || this == UNUSED;
    }
}
