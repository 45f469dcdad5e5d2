package io.qrvoucher.webhook;

import java.time.Instant;
import java.util.UUID;

import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.Redemption;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.VoucherView;

/** Voucher events as voucher-streams publishes them, of a CNY voucher of 88.80. */
public final class VoucherEvents {

    private VoucherEvents() {
    }

    /** The events of a voucher the payer generates and the payee redeems in full, in their order. */
    public static VoucherEvent[] redemption(String voucherId, String payer, String payee) {
        Instant at = Instant.now();
        return new VoucherEvent[] {
                event(voucherId, VoucherEventType.REQUESTED, 1, view(voucherId, payer, VoucherStatus.PENDING, HoldState.REQUESTED, 1, at), at),
                event(voucherId, VoucherEventType.ISSUED, 2, view(voucherId, payer, VoucherStatus.UNUSED, HoldState.HELD, 2, at), at),
                event(voucherId, VoucherEventType.REDEMPTION_STARTED, 3,
                        redeemed(view(voucherId, payer, VoucherStatus.REDEEMING, HoldState.CAPTURING, 3, at), payee, at), at),
                event(voucherId, VoucherEventType.REDEEMED, 4,
                        redeemed(view(voucherId, payer, VoucherStatus.REDEEMED, HoldState.CAPTURED, 4, at), payee, at), at)};
    }

    private static VoucherEvent event(String voucherId, VoucherEventType type, long version, VoucherView voucher, Instant at) {
        return new VoucherEvent(voucherId + "/v" + version, voucherId, type, at, "request-" + UUID.randomUUID(),
                "someone", null, voucher);
    }

    private static VoucherView redeemed(VoucherView voucher, String payee, Instant at) {
        voucher.setRedemption(new Redemption("redeem-" + voucher.getVoucherId(), payee, 88_80L,
                new OwnAccount(payee + "-cny"), at));
        return voucher;
    }

    private static VoucherView view(String voucherId, String payer, VoucherStatus status, HoldState hold, long version,
                                    Instant at) {
        return VoucherView.newBuilder()
                .setVoucherId(voucherId)
                .setPayerCustomerId(payer)
                .setAccountId(payer + "-cny")
                .setFaceValueMinor(88_80L)
                .setCurrency("CNY")
                .setStatus(status)
                .setHoldState(hold)
                .setCreatedAt(at)
                .setExpiresAt(at.plusSeconds(3600))
                .setUpdatedAt(at)
                .setVersion(version)
                .setGenerateRequestId("generate-" + voucherId)
                .build();
    }
}
