package io.qrvoucher.voucher.domain;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.Objects;

/** An exact amount in the minor units of an ISO 4217 currency (fen for CNY, cents for EUR). */
public record Money(long minorUnits, String currency) {

    public Money {
        Objects.requireNonNull(currency, "currency");
    }

    public static Money of(String major, String currency) {
        int scale = Currency.getInstance(currency).getDefaultFractionDigits();
        return new Money(new BigDecimal(major).setScale(scale).unscaledValue().longValueExact(), currency);
    }

    public boolean isPositive() {
        return minorUnits > 0;
    }

    public boolean exceeds(Money other) {
        requireSameCurrency(other);
        return minorUnits > other.minorUnits;
    }

    public Money minus(Money other) {
        requireSameCurrency(other);
        return new Money(Math.subtractExact(minorUnits, other.minorUnits), currency);
    }

    private void requireSameCurrency(Money other) {
        if (!currency.equals(other.currency)) {
            throw new IllegalArgumentException(currency + " and " + other.currency + " do not mix");
        }
    }

    @Override
    public String toString() {
        int scale = Currency.getInstance(currency).getDefaultFractionDigits();
        return BigDecimal.valueOf(minorUnits, scale).toPlainString() + " " + currency;
    }
}
