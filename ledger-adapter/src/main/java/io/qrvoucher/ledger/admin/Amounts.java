package io.qrvoucher.ledger.admin;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.regex.Pattern;

import io.qrvoucher.schemas.VoucherRules;

/**
 * Amounts on the wire are decimal strings in major units at most at the currency's minor-unit scale
 * ("12.34" CNY), as everywhere in the API; the ledger keeps minor units. Never a double on the way.
 */
final class Amounts {

    private static final Pattern DECIMAL = Pattern.compile("\\d{1,15}(\\.\\d{1,4})?");

    private Amounts() {
    }

    /** An ISO 4217 currency with minor units: not gold, not "no currency" ({@code XAU}, {@code XXX}). */
    static Currency currency(String code) {
        return VoucherRules.iso4217(code).orElseThrow(() -> AdminProblem.unprocessable("UNSUPPORTED_CURRENCY",
                code == null ? "currency must be an ISO 4217 code such as CNY"
                        : code + " is not an ISO 4217 currency accounts are kept in"));
    }

    /** A non-negative amount, in minor units. */
    static long minorUnits(String field, String amount, Currency currency) {
        if (!DECIMAL.matcher(amount).matches()) {
            throw AdminProblem.unprocessable("INVALID_AMOUNT", field + " must be a non-negative decimal string such as \"12.34\"");
        }
        BigDecimal value = new BigDecimal(amount);
        int scale = currency.getDefaultFractionDigits();
        if (value.scale() > scale) {
            throw AdminProblem.unprocessable("INVALID_AMOUNT", field + ": " + currency.getCurrencyCode()
                    + " amounts have at most " + scale + " decimals");
        }
        try {
            return value.movePointRight(scale).longValueExact();
        } catch (ArithmeticException e) {
            throw AdminProblem.unprocessable("INVALID_AMOUNT", field + " is larger than the ledger can hold");
        }
    }

    /** Whole units, in minor units: a configured default. */
    static long minorUnits(long wholeUnits, Currency currency) {
        return BigDecimal.valueOf(wholeUnits).movePointRight(currency.getDefaultFractionDigits()).longValueExact();
    }

    static String format(long minorUnits, String currencyCode) {
        return BigDecimal.valueOf(minorUnits, Currency.getInstance(currencyCode).getDefaultFractionDigits()).toPlainString();
    }
}
