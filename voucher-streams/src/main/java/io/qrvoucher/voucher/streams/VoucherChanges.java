package io.qrvoucher.voucher.streams;

/**
 * Told of every voucher a task changed or refused a request about, as it processes it, before its
 * transaction commits, and of each commit after which committed reads see what was written before it:
 * hints for readers waiting for a voucher to look again at its committed state, never an answer in
 * themselves.
 */
public interface VoucherChanges {

    VoucherChanges NONE = new VoucherChanges() {
        @Override
        public void changed(String voucherId, long version) {
        }

        @Override
        public void refused(String voucherId) {
        }

        @Override
        public void committed() {
        }
    };

    /** The task wrote this version of the voucher. */
    void changed(String voucherId, long version);

    /** The task refused a request about the voucher. */
    void refused(String voucherId);

    /**
     * A store of vouchers or refusals committed: what its task wrote before is now visible to committed
     * reads. Called on the stream thread, so it must return at once.
     */
    void committed();
}
