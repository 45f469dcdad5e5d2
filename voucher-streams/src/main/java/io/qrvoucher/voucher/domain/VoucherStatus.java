package io.qrvoucher.voucher.domain;

public enum VoucherStatus {
    PENDING, UNUSED, REJECTED, REDEEMING, REDEEMED, REDEEM_FAILED, CANCELLED, EXPIRED;

    public boolean isFinal() {
        return switch (this) {
            case PENDING, UNUSED, REDEEMING -> false;
            case REJECTED, REDEEMED, REDEEM_FAILED, CANCELLED, EXPIRED -> true;
        };
    }

    /** Only these statuses end on their own when the validity runs out. */
    public boolean canExpire() {
        return this == PENDING || this == UNUSED;
    }
}
