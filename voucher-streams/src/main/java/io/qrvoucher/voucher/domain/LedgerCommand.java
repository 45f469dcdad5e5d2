package io.qrvoucher.voucher.domain;

import io.qrvoucher.schemas.VoucherRules;

/**
 * What the lifecycle asks of the ledger. A voucher has one hold, so each kind of command happens
 * at most once per voucher and its id is derived from the voucher id ({@link VoucherRules#ledgerCommandId}): a
 * command emitted again is recognised by the ledger as the same command.
 */
public sealed interface LedgerCommand {

    String voucherId();

    String commandId();

    record Freeze(String voucherId, String customerId, String accountId, Money amount) implements LedgerCommand {
        @Override
        public String commandId() {
            return VoucherRules.ledgerCommandId(voucherId, VoucherRules.FREEZE);
        }
    }

    /** Capture the hold: move {@code amount} to the destination and release the rest. */
    record Transfer(String voucherId, Money amount, String payeeCustomerId, Destination destination)
            implements LedgerCommand {
        @Override
        public String commandId() {
            return VoucherRules.ledgerCommandId(voucherId, VoucherRules.TRANSFER);
        }
    }

    /** Release the whole hold. */
    record Release(String voucherId) implements LedgerCommand {
        @Override
        public String commandId() {
            return VoucherRules.ledgerCommandId(voucherId, VoucherRules.RELEASE);
        }
    }
}
