package io.qrvoucher.voucher.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.ZoneId;
import java.util.Map;

import org.junit.jupiter.api.Test;

class VoucherPolicyTest {

    private final VoucherPolicy policy = new VoucherPolicy(ZoneId.of("Asia/Shanghai"), 1, 1, new BigDecimal("1000.50"),
            Map.of("BHD", new BigDecimal("250")));

    @Test
    void aCapIsHeldInTheMinorUnitsOfItsCurrency() {
        assertThat(policy.capFor("CNY")).contains(new Money(1000_50, "CNY"));
        assertThat(policy.capFor("BHD")).contains(new Money(250_000, "BHD"));
    }

    @Test
    void aCapFinerThanTheCurrencysMinorUnitIsWhatCanBeReached() {
        assertThat(policy.capFor("JPY")).contains(new Money(1000, "JPY"));
    }

    @Test
    void aCodeThatIsNoCurrencyHasNoCap() {
        assertThat(policy.capFor("XYZ")).isEmpty();
    }
}
