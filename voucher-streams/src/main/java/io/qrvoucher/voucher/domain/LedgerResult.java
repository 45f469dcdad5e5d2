package io.qrvoucher.voucher.domain;

import io.qrvoucher.schemas.VoucherRules;

/**
 * The ledger's answer to a command; the same answer may arrive more than once. It answers the voucher's command of
 * its outcome's kind, and says so by that command's id: one that names another (another voucher's, another kind's)
 * is refused, since the lifecycle goes by the outcome alone, and a freeze's outcome under a release's id, say,
 * would make a voucher usable whose money was never frozen.
 */
public record LedgerResult(String voucherId, String commandId, Outcome outcome, String reason) implements VoucherInput {

    public enum Outcome {
        FROZEN(VoucherRules.FREEZE), FREEZE_REFUSED(VoucherRules.FREEZE),
        TRANSFERRED(VoucherRules.TRANSFER), TRANSFER_FAILED(VoucherRules.TRANSFER),
        RELEASED(VoucherRules.RELEASE), RELEASE_REFUSED(VoucherRules.RELEASE);

        private final String commandKind;

        Outcome(String commandKind) {
            this.commandKind = commandKind;
        }
    }

    public LedgerResult {
        String answered = VoucherRules.ledgerCommandId(voucherId, outcome.commandKind);
        if (!answered.equals(commandId)) {
            throw new IllegalArgumentException("Ledger result of command " + commandId + " has the outcome " + outcome
                    + ", which answers " + answered);
        }
    }
}
