package io.qrvoucher.voucher.streams;

import io.qrvoucher.voucher.domain.Voucher;

/**
 * Told of the vouchers this instance's tasks found stalled (waiting on the ledger too long), so that
 * operators can list them, and of those that are no longer this instance's to report: they moved on,
 * or their task left the instance (its new owner reports them again).
 */
public interface StalledVouchers {

    StalledVouchers NONE = new StalledVouchers() {
        @Override
        public void stalled(Voucher voucher) {
        }

        @Override
        public void cleared(String voucherId) {
        }
    };

    void stalled(Voucher voucher);

    void cleared(String voucherId);
}
