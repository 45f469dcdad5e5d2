package io.qrvoucher.ingress.reads;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.Redemption;
import io.qrvoucher.avro.RequestRefusal;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.VoucherAnswer;

class RedemptionViewTest {

    private static final Instant NOW = Instant.parse("2026-11-30T08:00:00Z");

    @Test
    void aRedemptionTheOwnerHasNotSeenYetIsPendingForItsRequester() {
        RedemptionView view = RedemptionView.of("r1", "v1", "bob", new VoucherAnswer(voucher(VoucherStatus.UNUSED, null), null));

        assertThat(view.status()).isEqualTo(RedemptionView.Status.PENDING);
        assertThat(view.payeeCustomerId()).isEqualTo("bob");
        assertThat(view.isSettled()).isFalse();
    }

    @Test
    void aRefusedRedemptionIsRejectedWithWhatItAskedFor() {
        RequestRefusal refusal = new RequestRefusal("r1", "v1", "bob", NOW, NOW, "ALREADY_REDEEMED",
                new RedeemVoucher("hash", 5_00L, new OwnAccount("bob-cny")));

        RedemptionView view = RedemptionView.of("r1", "v1", "bob",
                new VoucherAnswer(voucher(VoucherStatus.REDEEMED, "r0"), refusal));

        assertThat(view.status()).isEqualTo(RedemptionView.Status.REJECTED);
        assertThat(view.reason()).isEqualTo("ALREADY_REDEEMED");
        assertThat(view.amountMinor()).isEqualTo(5_00L);
        assertThat(view.destination()).isEqualTo(new OwnAccount("bob-cny"));
    }

    @Test
    void theAcceptedRedemptionFollowsTheVoucher() {
        assertThat(RedemptionView.of("r1", "v1", "bob", new VoucherAnswer(voucher(VoucherStatus.REDEEMING, "r1"), null))
                .status()).isEqualTo(RedemptionView.Status.PENDING);
        assertThat(RedemptionView.of("r1", "v1", "bob", new VoucherAnswer(voucher(VoucherStatus.REDEEMED, "r1"), null))
                .status()).isEqualTo(RedemptionView.Status.SUCCEEDED);
        RedemptionView failed = RedemptionView.of("r1", "v1", "bob",
                new VoucherAnswer(voucher(VoucherStatus.REDEEM_FAILED, "r1"), null));
        assertThat(failed.status()).isEqualTo(RedemptionView.Status.FAILED);
        assertThat(failed.reason()).isEqualTo("LEDGER_UNAVAILABLE");
    }

    @Test
    void anotherPayeesRedemptionIsNotThisOneWhichIsPendingUntilTheVoucherIsFinal() {
        assertThat(RedemptionView.of("r1", "v1", "bob", new VoucherAnswer(voucher(VoucherStatus.REDEEMING, "r-carol"), null))
                .status()).isEqualTo(RedemptionView.Status.PENDING);

        RedemptionView view = RedemptionView.of("r1", "v1", "bob",
                new VoucherAnswer(voucher(VoucherStatus.REDEEMED, "r-carol"), null));
        assertThat(view.status()).isEqualTo(RedemptionView.Status.REJECTED);
        assertThat(view.reason()).isEqualTo("ALREADY_REDEEMED");
    }

    /** Its refusal forgotten after the claim window, a redemption of a final voucher is not pending again. */
    @Test
    void aRedemptionOfAFinalVoucherWhoseRefusalIsGoneIsRejectedForTheVouchersStatus() {
        RedemptionView view = RedemptionView.of("r1", "v1", "bob", new VoucherAnswer(voucher(VoucherStatus.EXPIRED, null), null));

        assertThat(view.status()).isEqualTo(RedemptionView.Status.REJECTED);
        assertThat(view.reason()).isEqualTo("EXPIRED");
        assertThat(view.isSettled()).isTrue();
    }

    private static VoucherState voucher(VoucherStatus status, String redemptionId) {
        return VoucherState.newBuilder()
                .setVoucherId("v1").setPayerCustomerId("alice").setAccountId("alice-cny")
                .setFaceValueMinor(10_00).setCurrency("CNY").setCodeHash("hash")
                .setStatus(status).setHoldState(HoldState.HELD)
                .setCreatedAt(NOW).setExpiresAt(NOW.plusSeconds(3600)).setUpdatedAt(NOW).setVersion(3)
                .setGenerateRequestId("g1")
                .setRedemption(redemptionId == null ? null : new Redemption(redemptionId,
                        redemptionId.equals("r1") ? "bob" : "carol", 10_00L, new OwnAccount("bob-cny"), NOW))
                .setReason(status == VoucherStatus.REDEEM_FAILED ? "LEDGER_UNAVAILABLE" : null)
                .build();
    }
}
