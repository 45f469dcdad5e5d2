package io.qrvoucher.schemas;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;
import java.util.regex.Pattern;

/**
 * Amounts as every API writes them: decimal strings in major units, at most at the currency's minor-unit scale
 * ("12.34" CNY), where the records and the ledger keep whole minor units. One reading for every service, and
 * never a double on the way.
 */
public final class DecimalAmounts {

    private static final Pattern DECIMAL = Pattern.compile("\\d{1,15}(\\.\\d{1,4})?");

    private DecimalAmounts() {
    }

    /** Why a string is not an amount, worded to follow the field's name ("amount: …"). */
    public static final class NotAnAmount extends IllegalArgumentException {
        private NotAnAmount(String reason) {
            super(reason);
        }
    }

    /**
     * The non-negative amount a decimal string says, in minor units of the currency.
     *
     * @throws NotAnAmount if it is not a plain decimal, has more decimals than the currency, or is past a long
     */
    public static long minorUnits(String amount, Currency currency) {
        if (amount == null || !DECIMAL.matcher(amount).matches()) {
            throw new NotAnAmount("must be a non-negative decimal string such as \"12.34\"");
        }
        BigDecimal value = new BigDecimal(amount);
        int scale = currency.getDefaultFractionDigits();
        if (value.scale() > scale) {
            throw new NotAnAmount(currency.getCurrencyCode() + " amounts have at most " + scale + " decimals");
        }
        try {
            return value.movePointRight(scale).longValueExact();
        } catch (ArithmeticException e) {
            throw new NotAnAmount("is larger than can be held");
        }
    }

    /**
     * A limit in major units (a voucher cap, say) as the most minor units that stay within it: one finer than the
     * currency's minor unit ("1000.50" JPY) is what can be reached (1000), and one past a long is no limit.
     */
    public static long minorUnitsWithin(BigDecimal limit, Currency currency) {
        BigDecimal minorUnits = limit.movePointRight(currency.getDefaultFractionDigits()).setScale(0, RoundingMode.DOWN);
        return minorUnits.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : minorUnits.longValueExact();
    }

    /** Minor units as a decimal string at the currency's scale ("88.80"); as they are for a code not in ISO 4217. */
    public static String format(long minorUnits, String currencyCode) {
        int scale = VoucherRules.iso4217(currencyCode).map(Currency::getDefaultFractionDigits).orElse(0);
        return BigDecimal.valueOf(minorUnits, scale).toPlainString();
    }
}
