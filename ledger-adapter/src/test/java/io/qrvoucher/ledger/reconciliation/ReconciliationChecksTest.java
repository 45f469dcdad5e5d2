package io.qrvoucher.ledger.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherStatus;

/** The checks of a voucher and what a voucher event makes of it, without a database or a broker. */
class ReconciliationChecksTest {

    private static final Instant AT = Instant.parse("2026-03-01T08:00:00Z");

    @Test
    void aRedeemedVoucherAgreesWithACapturedHoldAndOneRedemptionOfItsAmount() {
        Expectation redeemed = expectation("REDEEMED", 2500);
        LedgerFacts ledger = facts(hold("CAPTURED", 2500), 2500L);

        assertThat(VoucherChecks.againstVoucher(redeemed, ledger)).isEmpty();
        assertThat(VoucherChecks.withinLedger(ledger)).isEmpty();
    }

    @Test
    void aRedeemedVoucherWhoseHoldWasReleasedDisagreesWithTheLedger() {
        List<Finding> findings = VoucherChecks.againstVoucher(expectation("REDEEMED", 2500), facts(hold("RELEASED", 0)));

        assertThat(findings).singleElement().satisfies(finding -> {
            assertThat(finding.check()).isEqualTo(Check.VOUCHER_AGREES_WITH_LEDGER);
            assertThat(finding.expected()).isEqualTo("hold of 10000 CNY on alice-cny CAPTURED 2500; redemptions [2500] to [account bob-cny]");
            assertThat(finding.found()).isEqualTo("hold of 10000 CNY on alice-cny RELEASED; no redemption");
        });
    }

    @Test
    void aRedeemedVoucherDisagreesWithARedemptionOfAnotherAmount() {
        assertThat(VoucherChecks.againstVoucher(expectation("REDEEMED", 2500), facts(hold("CAPTURED", 3000), 3000L)))
                .extracting(Finding::check).containsExactly(Check.VOUCHER_AGREES_WITH_LEDGER);
    }

    @Test
    void aCancelledVoucherWhoseHoldWasCapturedDisagreesWithTheLedger() {
        assertThat(VoucherChecks.againstVoucher(expectation("CANCELLED", 0), facts(hold("CAPTURED", 2500), 2500L)))
                .extracting(Finding::check).containsExactly(Check.VOUCHER_AGREES_WITH_LEDGER);
    }

    @Test
    void aFinalVoucherWithoutAHoldOrWithAReleasedOneAgrees() {
        for (String status : List.of("REJECTED", "REDEEM_FAILED", "CANCELLED", "EXPIRED")) {
            assertThat(VoucherChecks.againstVoucher(expectation(status, 0), facts(null))).as(status).isEmpty();
            assertThat(VoucherChecks.againstVoucher(expectation(status, 0), facts(hold("RELEASED", 0)))).as(status).isEmpty();
        }
    }

    @Test
    void aHoldStillHeldOnAFinalVoucherHasNotEnded() {
        assertThat(VoucherChecks.againstVoucher(expectation("EXPIRED", 0), facts(hold("HELD", 0))))
                .singleElement().satisfies(finding -> {
                    assertThat(finding.check()).isEqualTo(Check.HOLD_ENDED);
                    assertThat(finding.expected()).isEqualTo("hold RELEASED (voucher EXPIRED)");
                });
    }

    @Test
    void aHoldOfAnotherAmountOrAccountThanTheVouchersDisagrees() {
        LedgerFacts otherAmount = facts(new LedgerFacts.Hold("alice-cny", 9999, "CNY", "RELEASED", 0));
        LedgerFacts otherAccount = facts(new LedgerFacts.Hold("bob-cny", 10000, "CNY", "RELEASED", 0));

        assertThat(VoucherChecks.againstVoucher(expectation("CANCELLED", 0), otherAmount))
                .extracting(Finding::check).containsExactly(Check.VOUCHER_AGREES_WITH_LEDGER);
        assertThat(VoucherChecks.againstVoucher(expectation("CANCELLED", 0), otherAccount))
                .extracting(Finding::check).containsExactly(Check.VOUCHER_AGREES_WITH_LEDGER);
    }

    @Test
    void twoRedemptionTransactionsOfOneVoucherMovedItsMoneyTwice() {
        assertThat(VoucherChecks.withinLedger(facts(hold("CAPTURED", 2500), 2500L, 2500L)))
                .extracting(Finding::check)
                .containsExactly(Check.MONEY_MOVED_AT_MOST_ONCE, Check.CAPTURE_MATCHES_JOURNAL);
    }

    @Test
    void aCapturedHoldWithoutARedemptionTransactionAndARedemptionWithoutACaptureDoNotMatch() {
        assertThat(VoucherChecks.withinLedger(facts(hold("CAPTURED", 2500))))
                .singleElement().satisfies(finding -> {
                    assertThat(finding.check()).isEqualTo(Check.CAPTURE_MATCHES_JOURNAL);
                    assertThat(finding.expected()).isEqualTo("redemptions [2500] (hold of 10000 CNY on alice-cny CAPTURED 2500)");
                    assertThat(finding.found()).isEqualTo("hold of 10000 CNY on alice-cny CAPTURED 2500; no redemption");
                });
        assertThat(VoucherChecks.withinLedger(facts(hold("RELEASED", 0), 2500L)))
                .extracting(Finding::check).containsExactly(Check.CAPTURE_MATCHES_JOURNAL);
        assertThat(VoucherChecks.withinLedger(facts(null, 2500L)))
                .extracting(Finding::check).containsExactly(Check.CAPTURE_MATCHES_JOURNAL);
    }

    @Test
    void aRedeemedEventExpectsItsRedemptionsAmountAfterTheGracePeriod() {
        Optional<Expectation> expectation = Expectation.of(VoucherEvents.redeemed("v1", VoucherEventType.REDEEMED,
                VoucherStatus.REDEEMED, HoldState.CAPTURED, 4, 10000, 2500, AT), Duration.ofMinutes(2));

        assertThat(expectation).contains(new Expectation("v1", "REDEEMED", 4, "alice-cny", "CNY", 10000, 2500,
                "account bob-cny", AT.plusSeconds(120)));
    }

    /** A comma in a holder's name cannot make two destinations at other banks read alike. */
    @Test
    void destinationsAtOtherBanksAreToldApartWhateverTheirDetailsHold() {
        assertThat(Destinations.anotherBank("ICBC", "Chen, Carol", "6222"))
                .isNotEqualTo(Destinations.anotherBank("ICBC\", \"Chen", "Carol", "6222"))
                .isNotEqualTo(Destinations.anotherBank("ICBC, Chen", "Carol", "6222"));
    }

    @Test
    void anEventOfAVoucherThatIsNotFinalExpectsNothing() {
        for (VoucherStatus status : List.of(VoucherStatus.PENDING, VoucherStatus.UNUSED, VoucherStatus.REDEEMING)) {
            assertThat(Expectation.of(VoucherEvents.event("v1", VoucherEventType.ISSUED, status, HoldState.HELD, 2,
                    10000, AT), Duration.ZERO)).as(status.name()).isEmpty();
        }
    }

    @Test
    void anyEventOfAFinalVoucherExpectsTheSameWhateverItsType() {
        // A refused request after the cancel carries the cancelled voucher: the event's type does not matter.
        Optional<Expectation> refused = Expectation.of(VoucherEvents.event("v1", VoucherEventType.REQUEST_REFUSED,
                VoucherStatus.CANCELLED, HoldState.RELEASING, 3, 10000, AT), Duration.ZERO);

        assertThat(refused).map(Expectation::status).contains("CANCELLED");
        assertThat(refused).map(Expectation::redeemedMinor).contains(0L);
    }

    @Test
    void aRedeemedVoucherWithoutItsRedemptionCannotBeRead() {
        assertThatThrownBy(() -> Expectation.of(VoucherEvents.event("v1", VoucherEventType.REDEEMED,
                VoucherStatus.REDEEMED, HoldState.CAPTURED, 4, 10000, AT), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Expectation expectation(String status, long redeemedMinor) {
        return new Expectation("v1", status, 5, "alice-cny", "CNY", 10000, redeemedMinor,
                redeemedMinor > 0 ? "account bob-cny" : null, AT);
    }

    private static LedgerFacts.Hold hold(String state, long capturedMinor) {
        return new LedgerFacts.Hold("alice-cny", 10000, "CNY", state, capturedMinor);
    }

    private static LedgerFacts facts(LedgerFacts.Hold hold, Long... redemptionsMinor) {
        return new LedgerFacts("v1", Optional.ofNullable(hold), List.of(redemptionsMinor),
                Collections.nCopies(redemptionsMinor.length, "account bob-cny"));
    }
}
