package io.qrvoucher.voucher.domain;

/**
 * Where the voucher's frozen amount stands. Kept apart from the status because the money can
 * still be in flight after the status is final (a cancel while the freeze is pending, a release
 * after a failed transfer).
 */
public enum HoldState {
    /** No freeze was ever asked for: the request failed its checks before reaching the ledger. */
    NONE,
    /** A freeze is asked for and its result has not arrived. */
    REQUESTED,
    HELD,
    /** The ledger refused the freeze: nothing is held. */
    REFUSED,
    /** A transfer is asked for and its result has not arrived. */
    CAPTURING,
    CAPTURED,
    /** A release is asked for and its result has not arrived. */
    RELEASING,
    RELEASED;

    /** Whether a command for the hold is out and its result has not arrived. */
    public boolean awaitsLedger() {
        return this == REQUESTED || this == CAPTURING || this == RELEASING;
    }
}
