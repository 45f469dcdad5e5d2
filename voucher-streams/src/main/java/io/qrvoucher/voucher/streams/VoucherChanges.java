package io.qrvoucher.voucher.streams;

/**
 * Told of every voucher a task changed or refused a request about, as it processes it, before its
 * transaction commits, of each commit after which committed reads see what was written before it, and of
 * each claim processed: hints for readers waiting for a voucher or a claim to look again, never an answer
 * in themselves.
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

        @Override
        public void claimed(String claimKey) {
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

    /**
     * A claim of this Idempotency-Key or sign-in was processed: the key's first claim can be read now (claims
     * are read uncommitted). Called on the stream thread, so it must return at once.
     */
    void claimed(String claimKey);
}
