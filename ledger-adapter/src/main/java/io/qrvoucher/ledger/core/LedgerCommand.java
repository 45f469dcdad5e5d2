package io.qrvoucher.ledger.core;

import io.qrvoucher.schemas.VoucherRules;

/** A command for the hold of one voucher. Each {@code commandId} is applied at most once. */
public sealed interface LedgerCommand {

    String commandId();

    String voucherId();

    /** {@code freeze}, {@code transfer} or {@code release}: the command's id is {@code <voucher id>/<kind>}. */
    String kind();

    /** Hold {@code amountMinor} on the customer's account for the voucher. */
    record Freeze(String commandId, String voucherId, String customerId, String accountId, long amountMinor,
                  String currency) implements LedgerCommand {

        @Override
        public String kind() {
            return VoucherRules.FREEZE;
        }
    }

    /** Capture the voucher's hold: move {@code amountMinor} to the destination, release the rest. */
    record Transfer(String commandId, String voucherId, long amountMinor, String currency, String payeeCustomerId,
                    Destination destination) implements LedgerCommand {

        @Override
        public String kind() {
            return VoucherRules.TRANSFER;
        }
    }

    /** Release the whole hold of the voucher. */
    record Release(String commandId, String voucherId) implements LedgerCommand {

        @Override
        public String kind() {
            return VoucherRules.RELEASE;
        }
    }

    sealed interface Destination {
    }

    record OwnAccount(String accountId) implements Destination {
    }

    /** Paid through the bank's clearing account in the currency; the details go on the journal. */
    record ExternalAccount(String bank, String holderName, String accountNumber) implements Destination {
    }
}
