package io.qrvoucher.ingress.api;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.regex.Pattern;

import io.qrvoucher.schemas.VoucherRules;

/** Amounts on the wire are decimal strings at most at the currency's minor-unit scale: "12.34". */
final class Amounts {

    private static final Pattern DECIMAL = Pattern.compile("\\d{1,15}(\\.\\d{1,4})?");

    private Amounts() {
    }

    static Currency currency(String code) {
        return VoucherRules.iso4217(code).orElseThrow(() -> ApiException.unprocessable("UNSUPPORTED_CURRENCY",
                code == null ? "currency must be an ISO 4217 code such as CNY" : code + " is not an ISO 4217 currency"));
    }

    /** A positive amount in minor units. */
    static long parse(String amount, Currency currency) {
        if (amount == null || !DECIMAL.matcher(amount).matches()) {
            throw ApiException.unprocessable("INVALID_AMOUNT", "amount must be a decimal string such as \"12.34\"");
        }
        BigDecimal value = new BigDecimal(amount);
        if (value.scale() > currency.getDefaultFractionDigits()) {
            throw ApiException.unprocessable("INVALID_AMOUNT", currency.getCurrencyCode() + " amounts have at most "
                    + currency.getDefaultFractionDigits() + " decimals");
        }
        if (value.signum() <= 0) {
            throw ApiException.unprocessable("INVALID_AMOUNT", "amount must be positive");
        }
        return value.movePointRight(currency.getDefaultFractionDigits()).longValueExact();
    }

    static long toMinor(BigDecimal major, Currency currency) {
        return major.setScale(currency.getDefaultFractionDigits()).unscaledValue().longValueExact();
    }

    static String format(long minor, String currencyCode) {
        return BigDecimal.valueOf(minor, Currency.getInstance(currencyCode).getDefaultFractionDigits()).toPlainString();
    }
}
