package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VoucherRulesTest {

    /** Claims in flight while a release rolls out are found again: an id without either sign keys them as before. */
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
}
