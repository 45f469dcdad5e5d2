package io.qrvoucher.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.ZoneId;
import java.util.Map;

import org.junit.jupiter.api.Test;

class BankRulesTest {

    private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

    @Test
    void aCurrencyWithoutACapOfItsOwnHasTheDefault() {
        BankRules rules = new BankRules(SHANGHAI, new BigDecimal("1000.00"), Map.of("JPY", new BigDecimal("100000")));

        assertThat(rules.voucherCapFor("JPY")).isEqualByComparingTo("100000");
        assertThat(rules.voucherCapFor("CNY")).isEqualByComparingTo("1000.00");
    }

    @Test
    void aCapThatAllowsNoVoucherIsRefusedAtStart() {
        assertThatThrownBy(() -> new BankRules(SHANGHAI, BigDecimal.ZERO, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bank.default-voucher-cap");
        assertThatThrownBy(() -> new BankRules(SHANGHAI, BigDecimal.ONE, Map.of("CNY", new BigDecimal("-5"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bank.voucher-caps");
    }
}
