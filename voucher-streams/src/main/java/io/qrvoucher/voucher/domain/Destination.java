package io.qrvoucher.voucher.domain;

/** Where a redemption sends the money. */
public sealed interface Destination {

    /** An account of the payee at this bank. */
    record OwnAccount(String accountId) implements Destination {
    }

    /** An account at another bank, paid through this bank's clearing account. */
    record ExternalAccount(String bank, String holderName, String accountNumber) implements Destination {
    }
}
