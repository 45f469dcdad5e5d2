package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.RedemptionMode;
import io.qrvoucher.avro.StepUpPolicy;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;

class VoucherRulesTest {

    /** Claims in flight while a release rolls out are found again: an id without either sign keys them as before. */
    @Test
    void aCustomerIdIsASubjectAsIdentityProvidersMakeThemWithoutControlCharacters() {
        assertThat(List.of("alice", "auth0|65f1c0ffee", "https://idp.example/u/1", "x".repeat(255), "z\uD83D\uDE00"))
                .allMatch(VoucherRules::isCustomerId);
        assertThat(java.util.Arrays.asList(null, "", "   ", "x".repeat(256), "a\u0000b", "a\nb", "a\u0085b"))
                .noneMatch(VoucherRules::isCustomerId);
    }

    /** Written as UTF-8 (a record's key, a row) a lone surrogate becomes "?": "max" and U+D800 would be "max?" there. */
    @Test
    void aCustomerIdWithALoneHalfOfASurrogatePairIsNone() {
        assertThat(List.of("max\uD800", "\uDC00max", "a\uDE00\uD83Db")).noneMatch(VoucherRules::isCustomerId);
    }

    /** Read after later changes, the settings may be weak again or strong again: then it cannot be told. */
    @Test
    void aSettingsChangeIsToldNotMergedOnlyFromTheSettingsAsItLeftThem() {
        TrustedPackages.ensureTrusted(); // as every service's first serde does: a copied record resolves its enums
        CustomerSettings strong = CustomerSettings.newBuilder().setCustomerId("alice").setUpdatedAt(Instant.EPOCH)
                .setStepUpPolicy(StepUpPolicy.EVERY_TIME).setChangeOffset(7).build();
        CustomerSettings weak = CustomerSettings.newBuilder(strong).setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY).build();

        assertThat(VoucherRules.notMerged(strong, 7, false, null, StepUpPolicy.FIRST_TIME_ONLY)).contains(true);
        assertThat(VoucherRules.notMerged(weak, 7, false, null, StepUpPolicy.FIRST_TIME_ONLY)).contains(false);
        assertThat(VoucherRules.notMerged(strong, 6, false, null, StepUpPolicy.FIRST_TIME_ONLY)).isEmpty();
        // Never for a change that could weaken nothing, nor for one confirmed by a fresh sign-in.
        assertThat(VoucherRules.notMerged(strong, 6, false, RedemptionMode.SCAN_THEN_CONFIRM, StepUpPolicy.EVERY_TIME))
                .contains(false);
        assertThat(VoucherRules.notMerged(strong, 6, true, null, StepUpPolicy.FIRST_TIME_ONLY)).contains(false);
    }

    @Test
    void aClaimKeyOfAnIdWithoutSlashOrPercentIsTheIdSlashTheKey() {
        assertThat(VoucherRules.claimKey("alice", "b/c")).isEqualTo("alice/b/c");
    }

    @Test
    void twoCustomersWhoseIdsAndKeysRunTogetherAlikeHaveTwoClaimKeys() {
        assertThat(VoucherRules.claimKey("a", "b/c")).isNotEqualTo(VoucherRules.claimKey("a/b", "c"));
        assertThat(VoucherRules.claimKey("a%2Fb", "c")).isNotEqualTo(VoucherRules.claimKey("a/b", "c"));
        assertThat(VoucherRules.claimKey("a/b", "c")).isEqualTo("a%2Fb/c");
    }

    @Test
    void anUnusedVoucherIsShownExpiredFromItsEndOnAndAnyOtherAsItIs() {
        Instant end = Instant.parse("2026-12-04T16:00:00Z");

        assertThat(VoucherRules.statusAt(voucher(VoucherStatus.UNUSED, end), end.minusMillis(1)))
                .isEqualTo(VoucherStatus.UNUSED);
        assertThat(VoucherRules.statusAt(voucher(VoucherStatus.UNUSED, end), end)).isEqualTo(VoucherStatus.EXPIRED);
        assertThat(VoucherRules.statusAt(voucher(VoucherStatus.REDEEMING, end), end.plusSeconds(5)))
                .isEqualTo(VoucherStatus.REDEEMING);
    }

    private static VoucherState voucher(VoucherStatus status, Instant end) {
        return VoucherState.newBuilder()
                .setVoucherId("v1").setPayerCustomerId("alice").setAccountId("alice-cny").setFaceValueMinor(100)
                .setCurrency("CNY").setCodeHash("h").setStatus(status).setHoldState(HoldState.HELD)
                .setCreatedAt(end.minusSeconds(60)).setExpiresAt(end).setUpdatedAt(end.minusSeconds(60)).setVersion(2)
                .setGenerateRequestId("g1").build();
    }
}
