package io.qrvoucher.ledger.reconciliation;

import java.util.Arrays;
import java.util.Optional;

/**
 * The promises the reconciliation checks (SPEC, "Money invariants"). The id names a mismatch's row
 * and its metric's {@code check} tag.
 */
public enum Check {

    /** A final voucher's hold is no longer HELD. Can be a release that is late, not lost: see the log level. */
    HOLD_ENDED("hold_ended", true),
    /**
     * The ledger shows what the voucher's final status says: REDEEMED exactly when its money moved, by that amount,
     * to the destination the voucher names.
     */
    VOUCHER_AGREES_WITH_LEDGER("voucher_agrees_with_ledger", false),
    /** No voucher has more than one redemption journal transaction. */
    MONEY_MOVED_AT_MOST_ONCE("money_moved_at_most_once", false),
    /** A hold is CAPTURED exactly when its voucher has a redemption transaction, of the captured amount. */
    CAPTURE_MATCHES_JOURNAL("capture_matches_journal", false),
    /** Every journal transaction's entries sum to zero in each currency. */
    JOURNAL_BALANCED("journal_balanced", false),
    /** Every account's balance is the sum of its journal entries. */
    BALANCE_MATCHES_JOURNAL("balance_matches_journal", false),
    /**
     * Every account's held amount is the sum of its open holds: too little would let frozen money be spent again,
     * too much would keep money frozen for no voucher.
     */
    HELD_MATCHES_HOLDS("held_matches_holds", false),
    /**
     * No hold stays open longer than any voucher may live: one that does is a voucher stuck with its money frozen,
     * whatever became of it in voucher-streams. Can be a release that is late, not lost.
     */
    HOLD_OPEN_TOO_LONG("hold_open_too_long", true);

    private final String id;
    private final boolean mayBeLate;

    Check(String id, boolean mayBeLate) {
        this.id = id;
        this.mayBeLate = mayBeLate;
    }

    public String id() {
        return id;
    }

    /** True when a mismatch can also mean the ledger is behind (a command waiting), not that money went wrong. */
    boolean mayBeLate() {
        return mayBeLate;
    }

    /** The check of this id; none for a check this release does not know (a later one's, kept across a rollback). */
    static Optional<Check> ofId(String id) {
        return Arrays.stream(values()).filter(check -> check.id.equals(id)).findFirst();
    }
}
