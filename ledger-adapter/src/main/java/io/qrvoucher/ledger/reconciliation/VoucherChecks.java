package io.qrvoucher.ledger.reconciliation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The checks of one voucher: pure functions of what the ledger shows and, if final, what the voucher says. */
final class VoucherChecks {

    /** The checks {@link #againstVoucher} makes. */
    static final Set<Check> AGAINST_VOUCHER =
            Collections.unmodifiableSet(EnumSet.of(Check.HOLD_ENDED, Check.VOUCHER_AGREES_WITH_LEDGER));
    /** The checks {@link #withinLedger} makes. */
    static final Set<Check> WITHIN_LEDGER =
            Collections.unmodifiableSet(EnumSet.of(Check.MONEY_MOVED_AT_MOST_ONCE, Check.CAPTURE_MATCHES_JOURNAL));
    /** Both: the checks of a voucher with a final status. */
    static final Set<Check> OF_FINAL_VOUCHER = Collections.unmodifiableSet(EnumSet.of(Check.HOLD_ENDED,
            Check.VOUCHER_AGREES_WITH_LEDGER, Check.MONEY_MOVED_AT_MOST_ONCE, Check.CAPTURE_MATCHES_JOURNAL));

    private VoucherChecks() {
    }

    /** Whether the ledger shows what the voucher's final status says. */
    static List<Finding> againstVoucher(Expectation expected, LedgerFacts facts) {
        List<Finding> findings = new ArrayList<>();
        if (facts.hold().filter(hold -> hold.is("HELD")).isPresent()) {
            findings.add(new Finding(Check.HOLD_ENDED, expected.voucherId(), expected.voucherId(),
                    (expected.redeemed() ? "hold CAPTURED" : "hold RELEASED") + " (voucher " + expected.status() + ")",
                    facts.describe()));
        }
        if (!agree(expected, facts)) {
            findings.add(new Finding(Check.VOUCHER_AGREES_WITH_LEDGER, expected.voucherId(), expected.voucherId(),
                    describe(expected), expected.destination() == null ? facts.describe() : facts.describeWithDestinations()));
        }
        return findings;
    }

    /** Whether the ledger agrees with itself about the voucher: one movement at most, and the one its hold says. */
    static List<Finding> withinLedger(LedgerFacts facts) {
        List<Finding> findings = new ArrayList<>();
        if (facts.redemptionsMinor().size() > 1) {
            findings.add(new Finding(Check.MONEY_MOVED_AT_MOST_ONCE, facts.voucherId(), facts.voucherId(),
                    "at most one redemption", facts.describe()));
        }
        boolean captured = facts.hold().filter(hold -> hold.is("CAPTURED")).isPresent();
        List<Long> journaled = captured ? List.of(facts.hold().get().capturedMinor()) : List.of();
        if (!facts.redemptionsMinor().equals(journaled)) {
            findings.add(new Finding(Check.CAPTURE_MATCHES_JOURNAL, facts.voucherId(), facts.voucherId(),
                    LedgerFacts.describeRedemptions(journaled) + " (" + facts.hold().map(LedgerFacts.Hold::toString)
                            .orElse("no hold") + ")", facts.describe()));
        }
        return findings;
    }

    private static boolean agree(Expectation expected, LedgerFacts facts) {
        List<Long> moved = expected.redeemed() ? List.of(expected.redeemedMinor()) : List.of();
        if (!facts.redemptionsMinor().equals(moved)) {
            return false;
        }
        if (expected.destination() != null && !facts.redemptionDestinations().equals(List.of(expected.destination()))) {
            return false;
        }
        return facts.hold()
                .map(hold -> hold.accountId().equals(expected.accountId())
                        && hold.currency().equals(expected.currency())
                        && hold.amountMinor() == expected.faceValueMinor()
                        && switch (hold.state()) {
                            // an open hold is the hold_ended check's to report; the journal agrees so far
                            case "HELD" -> true;
                            case "CAPTURED" -> expected.redeemed() && hold.capturedMinor() == expected.redeemedMinor();
                            default -> !expected.redeemed();
                        })
                // a voucher rejected, or cancelled or expired before its freeze, has no hold
                .orElse(!expected.redeemed());
    }

    private static String describe(Expectation expected) {
        String hold = "hold of " + expected.faceValueMinor() + " " + expected.currency() + " on " + expected.accountId();
        return expected.redeemed()
                ? hold + " CAPTURED " + expected.redeemedMinor() + "; " + LedgerFacts.describeRedemptions(List.of(expected.redeemedMinor()))
                        + (expected.destination() == null ? "" : " to [" + expected.destination() + "]")
                : "no hold, or " + hold + " RELEASED; no redemption";
    }
}
