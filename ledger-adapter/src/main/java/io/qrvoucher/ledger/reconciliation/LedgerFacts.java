package io.qrvoucher.ledger.reconciliation;

import java.util.List;
import java.util.Optional;

/**
 * What the ledger shows for one voucher, read in one statement (one snapshot): its hold, if any, and
 * the amount each of its redemption transactions paid out and where to ({@link Destinations}), oldest first.
 */
record LedgerFacts(String voucherId, Optional<Hold> hold, List<Long> redemptionsMinor,
                   List<String> redemptionDestinations) {

    LedgerFacts {
        redemptionsMinor = List.copyOf(redemptionsMinor);
        redemptionDestinations = List.copyOf(redemptionDestinations);
    }

    record Hold(String accountId, long amountMinor, String currency, String state, long capturedMinor) {

        boolean is(String state) {
            return this.state.equals(state);
        }

        @Override
        public String toString() {
            return "hold of " + amountMinor + " " + currency + " on " + accountId + " " + state
                    + ("CAPTURED".equals(state) ? " " + capturedMinor : "");
        }
    }

    /** The facts as a mismatch's {@code found}, e.g. {@code hold of 10000 CNY on alice-cny CAPTURED 2500; redemptions [2500]}. */
    String describe() {
        return hold.map(Hold::toString).orElse("no hold") + "; " + describeRedemptions(redemptionsMinor);
    }

    /** The facts with where the money went, e.g. {@code ...; redemptions [2500] to [account bob-cny]}. */
    String describeWithDestinations() {
        return describe() + (redemptionDestinations.isEmpty() ? "" : " to " + redemptionDestinations);
    }

    static String describeRedemptions(List<Long> redemptionsMinor) {
        return redemptionsMinor.isEmpty() ? "no redemption" : "redemptions " + redemptionsMinor;
    }
}
