package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Currency;

import org.junit.jupiter.api.Test;

class DecimalAmountsTest {

    private static final Currency CNY = Currency.getInstance("CNY");
    private static final Currency JPY = Currency.getInstance("JPY");
    private static final Currency BHD = Currency.getInstance("BHD");

    @Test
    void aDecimalStringIsReadAsWholeMinorUnitsOfItsCurrency() {
        assertThat(DecimalAmounts.minorUnits("12.34", CNY)).isEqualTo(1234);
        assertThat(DecimalAmounts.minorUnits("12.3", CNY)).isEqualTo(1230);
        assertThat(DecimalAmounts.minorUnits("12", CNY)).isEqualTo(1200);
        assertThat(DecimalAmounts.minorUnits("0", CNY)).isZero();
        assertThat(DecimalAmounts.minorUnits("1200", JPY)).isEqualTo(1200);
        assertThat(DecimalAmounts.minorUnits("1.234", BHD)).isEqualTo(1234);
    }

    @Test
    void moreDecimalsThanTheCurrencyHasAreRefusedNotRounded() {
        assertThatThrownBy(() -> DecimalAmounts.minorUnits("12.345", CNY))
                .isInstanceOf(DecimalAmounts.NotAnAmount.class).hasMessage("CNY amounts have at most 2 decimals");
        assertThatThrownBy(() -> DecimalAmounts.minorUnits("1.5", JPY))
                .isInstanceOf(DecimalAmounts.NotAnAmount.class).hasMessage("JPY amounts have at most 0 decimals");
    }

    @Test
    void anythingButAPlainNonNegativeDecimalIsRefused() {
        for (String notAnAmount : new String[] {null, "", "-1.00", "+1", "1e3", "1,50", " 1", "ten", "1.", ".5"}) {
            assertThatThrownBy(() -> DecimalAmounts.minorUnits(notAnAmount, CNY)).as(String.valueOf(notAnAmount))
                    .isInstanceOf(DecimalAmounts.NotAnAmount.class);
        }
    }

    @Test
    void anAmountPastWhatALongHoldsIsRefused() {
        assertThatThrownBy(() -> DecimalAmounts.minorUnits("999999999999999.9999", Currency.getInstance("CLF")))
                .isInstanceOf(DecimalAmounts.NotAnAmount.class).hasMessage("is larger than can be held");
    }

    @Test
    void aLimitFinerThanTheMinorUnitIsTheMostMinorUnitsWithinIt() {
        assertThat(DecimalAmounts.minorUnitsWithin(new BigDecimal("1000.50"), JPY)).isEqualTo(1000);
        assertThat(DecimalAmounts.minorUnitsWithin(new BigDecimal("1000.999"), CNY)).isEqualTo(1000_99);
        assertThat(DecimalAmounts.minorUnitsWithin(new BigDecimal("1000"), BHD)).isEqualTo(1_000_000);
        assertThat(DecimalAmounts.minorUnitsWithin(new BigDecimal("1e30"), CNY)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void minorUnitsAreWrittenAtTheCurrencysScale() {
        assertThat(DecimalAmounts.format(8880, "CNY")).isEqualTo("88.80");
        assertThat(DecimalAmounts.format(5, "CNY")).isEqualTo("0.05");
        assertThat(DecimalAmounts.format(8880, "JPY")).isEqualTo("8880");
        assertThat(DecimalAmounts.format(1234, "BHD")).isEqualTo("1.234");
    }
}
