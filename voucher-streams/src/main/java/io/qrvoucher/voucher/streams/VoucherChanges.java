package io.qrvoucher.voucher.streams;

/**
 * Told of every voucher a task changed or refused a request about, as it processes it, before its
 * transaction commits: a hint for readers waiting for the voucher to look again at its committed state
 * soon, never an answer in itself.
 */
public interface VoucherChanges {

    VoucherChanges NONE = new VoucherChanges() {
        @Override
        public void changed(String voucherId, long version) {
        }

        @Override
        public void refused(String voucherId) {
        }
    };

    /** The task wrote this version of the voucher. */
    void changed(String voucherId, long version);

    /** The task refused a request about the voucher. */
    void refused(String voucherId);
}
