package io.qrvoucher.ledger.reconciliation;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.Redemption;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherView;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.schemas.VoucherRules;

/**
 * What the ledger must show for a voucher in a final status: for REDEEMED, its hold CAPTURED with the
 * redemption's amount and one redemption transaction of that amount; for any other final status, no
 * redemption transaction and its hold, if it has one, RELEASED.
 *
 * @param redeemedMinor the redemption's amount when REDEEMED, 0 otherwise
 * @param destination   where a REDEEMED voucher's money went ({@link Destinations}); null otherwise, and for an
 *                      expectation recorded before the reconciliation compared destinations
 * @param dueAt         when the voucher is checked: its final event plus the grace period
 */
record Expectation(String voucherId, String status, long voucherVersion, String accountId, String currency,
                          long faceValueMinor, long redeemedMinor, String destination, Instant dueAt) {

    /**
     * The expectation an event implies, if its voucher is final. The event's type does not matter —
     * only the voucher it carries — so a type this reader does not know changes nothing.
     *
     * @throws IllegalArgumentException for a REDEEMED voucher without its redemption
     */
    static Optional<Expectation> of(VoucherEvent event, Duration gracePeriod) {
        VoucherView voucher = event.getVoucher();
        if (voucher == null || !VoucherRules.isFinal(voucher.getStatus().name())) {
            return Optional.empty();
        }
        boolean redeemed = voucher.getStatus() == VoucherStatus.REDEEMED;
        if (redeemed && voucher.getRedemption() == null) {
            throw new IllegalArgumentException("Voucher " + voucher.getVoucherId() + " is REDEEMED without a redemption");
        }
        return Optional.of(new Expectation(voucher.getVoucherId(), voucher.getStatus().name(), voucher.getVersion(),
                voucher.getAccountId(), voucher.getCurrency(), voucher.getFaceValueMinor(),
                redeemed ? voucher.getRedemption().getAmountMinor() : 0,
                redeemed ? destinationOf(voucher.getRedemption()) : null, event.getOccurredAt().plus(gracePeriod)));
    }

    private static String destinationOf(Redemption redemption) {
        if (redemption.getDestination() instanceof OwnAccount own) {
            return Destinations.account(own.getAccountId());
        }
        if (redemption.getDestination() instanceof ExternalAccount external) {
            return Destinations.anotherBank(external.getBank(), external.getHolderName(), external.getAccountNumber());
        }
        throw new IllegalArgumentException("A redemption to " + redemption.getDestination());
    }

    boolean redeemed() {
        return VoucherStatus.REDEEMED.name().equals(status);
    }
}
