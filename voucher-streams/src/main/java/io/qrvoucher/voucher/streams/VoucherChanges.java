package io.qrvoucher.voucher.streams;

/**
 * Told of every voucher a task changed or refused a request about, as it processes it, before its
 * transaction commits: a hint for readers waiting for the voucher to look again at its committed state
 * soon, never an answer in itself.
 */
@FunctionalInterface
public interface VoucherChanges {

    VoucherChanges NONE = voucherId -> {
    };

    void changed(String voucherId);
}
