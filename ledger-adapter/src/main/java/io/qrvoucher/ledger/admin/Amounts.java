package io.qrvoucher.ledger.admin;

import java.math.BigDecimal;
import java.util.Currency;

import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.schemas.VoucherRules;

/** The admin API's reading of currencies and amounts ({@link DecimalAmounts}), its refusals as problem details. */
final class Amounts {

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
        try {
            return DecimalAmounts.minorUnits(amount, currency);
        } catch (DecimalAmounts.NotAnAmount e) {
            throw AdminProblem.unprocessable("INVALID_AMOUNT", field + " " + e.getMessage());
        }
    }

    /** Whole units, in minor units: a configured default. */
    static long minorUnits(long wholeUnits, Currency currency) {
        return BigDecimal.valueOf(wholeUnits).movePointRight(currency.getDefaultFractionDigits()).longValueExact();
    }
}
