package io.qrvoucher.ledger.reconciliation;

import java.time.Instant;
import java.util.UUID;

import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.Redemption;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherView;
import io.qrvoucher.avro.VoucherStatus;

/** Voucher events as voucher-streams publishes them: alice's CNY voucher, redeemed by bob to his own account. */
final class VoucherEvents {

    private VoucherEvents() {
    }

    /** An event of a voucher that was never redeemed. */
    static VoucherEvent event(String voucherId, VoucherEventType type, VoucherStatus status, HoldState hold,
                              long version, long faceValueMinor, Instant occurredAt) {
        return new VoucherEvent(UUID.randomUUID().toString(), voucherId, type, occurredAt, null, null, null,
                state(voucherId, status, hold, version, faceValueMinor, occurredAt).build());
    }

    /** An event of a voucher with its one redemption, of {@code redeemedMinor}. */
    static VoucherEvent redeemed(String voucherId, VoucherEventType type, VoucherStatus status, HoldState hold,
                                 long version, long faceValueMinor, long redeemedMinor, Instant occurredAt) {
        return new VoucherEvent(UUID.randomUUID().toString(), voucherId, type, occurredAt, null, null, null,
                state(voucherId, status, hold, version, faceValueMinor, occurredAt)
                        .setRedemption(new Redemption("redeem-" + voucherId, "bob", redeemedMinor,
                                new OwnAccount("bob-cny"), occurredAt))
                        .build());
    }

    private static VoucherView.Builder state(String voucherId, VoucherStatus status, HoldState hold, long version,
                                              long faceValueMinor, Instant at) {
        return VoucherView.newBuilder()
                .setVoucherId(voucherId)
                .setPayerCustomerId("alice")
                .setAccountId("alice-cny")
                .setFaceValueMinor(faceValueMinor)
                .setCurrency("CNY")
                .setStatus(status)
                .setHoldState(hold)
                .setCreatedAt(at)
                .setExpiresAt(at.plusSeconds(3600))
                .setUpdatedAt(at)
                .setVersion(version)
                .setGenerateRequestId("generate-" + voucherId);
    }
}
