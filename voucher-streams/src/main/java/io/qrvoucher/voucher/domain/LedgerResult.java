package io.qrvoucher.voucher.domain;

/** The ledger's answer to a command; the same answer may arrive more than once. */
public record LedgerResult(String voucherId, String commandId, Outcome outcome, String reason) implements VoucherInput {

    public enum Outcome {
        FROZEN, FREEZE_REFUSED, TRANSFERRED, TRANSFER_FAILED, RELEASED, RELEASE_REFUSED
    }
}
