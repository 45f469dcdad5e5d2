package io.qrvoucher.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

class BankRulesTest {

    private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

    @Test
    void aCurrencyWithoutACapOfItsOwnHasTheDefault() {
        BankRules rules = new BankRules(SHANGHAI, new BigDecimal("1000.00"), Map.of("JPY", new BigDecimal("100000")));

        assertThat(rules.voucherCapFor("JPY")).isEqualByComparingTo("100000");
        assertThat(rules.voucherCapFor("CNY")).isEqualByComparingTo("1000.00");
    }

    /** Spring Boot binds an environment variable's map key in lower case: the variable the documentation names. */
    @Test
    void aCurrencysCapIsTakenFromItsEnvironmentVariable() {
        SystemEnvironmentPropertySource environment = new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                Map.of("BANK_VOUCHERCAPS_JPY", "100000", "BANK_DEFAULTVOUCHERCAP", "500"));

        BankRules rules = new Binder(ConfigurationPropertySources.from(environment)).bindOrCreate("bank", BankRules.class);

        assertThat(rules.voucherCapFor("JPY")).isEqualByComparingTo("100000");
        assertThat(rules.voucherCapFor("CNY")).isEqualByComparingTo("500");
    }

    @Test
    void aCapThatAllowsNoVoucherIsRefusedAtStart() {
        for (String tooSmall : new String[] {"0", "-5", "0.50"}) {
            assertThatThrownBy(() -> new BankRules(SHANGHAI, new BigDecimal(tooSmall), Map.of())).as(tooSmall)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bank.default-voucher-cap");
        }
        for (Map<String, BigDecimal> caps : List.of(Map.of("CNY", new BigDecimal("-5")), Map.of("CNY", new BigDecimal("0.001")),
                Map.of("JPY", new BigDecimal("0.5")), Map.of("XYZ", BigDecimal.TEN))) {
            assertThatThrownBy(() -> new BankRules(SHANGHAI, BigDecimal.ONE, caps)).as(caps.toString())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bank.voucher-caps.");
        }
    }

    @Test
    void theSmallestCapsThatAllowAVoucherAreTaken() {
        BankRules rules = new BankRules(SHANGHAI, BigDecimal.ONE, Map.of("CNY", new BigDecimal("0.01"), "JPY", BigDecimal.ONE));

        assertThat(rules.voucherCapFor("CNY")).isEqualByComparingTo("0.01");
    }
}
