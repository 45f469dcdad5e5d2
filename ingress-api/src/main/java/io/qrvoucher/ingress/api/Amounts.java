package io.qrvoucher.ingress.api;

import java.util.Currency;

import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.schemas.VoucherRules;

/** The API's reading of currencies and amounts ({@link DecimalAmounts}), its refusals as problem details. */
final class Amounts {

    private Amounts() {
    }

    static Currency currency(String code) {
        return VoucherRules.iso4217(code).orElseThrow(() -> ApiException.unprocessable("UNSUPPORTED_CURRENCY",
                code == null ? "currency must be an ISO 4217 code such as CNY" : code + " is not an ISO 4217 currency"));
    }

    /** A positive amount in minor units. */
    static long parse(String amount, Currency currency) {
        long minorUnits;
        try {
            minorUnits = DecimalAmounts.minorUnits(amount, currency);
        } catch (DecimalAmounts.NotAnAmount e) {
            throw ApiException.unprocessable("INVALID_AMOUNT", "amount " + e.getMessage());
        }
        if (minorUnits == 0) {
            throw ApiException.unprocessable("INVALID_AMOUNT", "amount must be positive");
        }
        return minorUnits;
    }
}
