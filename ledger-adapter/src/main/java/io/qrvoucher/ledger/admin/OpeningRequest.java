package io.qrvoucher.ledger.admin;

import java.util.Currency;
import java.util.regex.Pattern;

import io.qrvoucher.ledger.core.AccountOpening;

/**
 * What an operator asks to open: {@code {"customerId": "dave", "accountId": "dave-cny", "currency": "CNY",
 * "openingBalance": "250.00", "dailyOutwardLimit": "5000.00"}}, the last two optional.
 *
 * @param openingBalance    credited from the bank's capital account; none when absent
 * @param dailyOutwardLimit what the customer may move out per business day; {@code ledger.admin.default-daily-outward-limit}
 *                          when absent
 */
record OpeningRequest(String customerId, String accountId, String currency, String openingBalance,
                      String dailyOutwardLimit) {

    /** Ids go into URLs, record keys and logs: letters, digits and a few separators, as the ledger's own are. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}");

    /** The terms this asks for, in minor units; a {@link AdminProblem} (422) names the first field that is wrong. */
    AccountOpening.Terms terms(long defaultDailyOutwardLimit) {
        String account = id("accountId", accountId, "INVALID_ACCOUNT_ID");
        if (AccountOpening.isReservedForTheBank(account)) {
            throw AdminProblem.unprocessable("INVALID_ACCOUNT_ID", account + " has the form of the bank's own accounts");
        }
        String customer = id("customerId", customerId, "INVALID_CUSTOMER_ID");
        Currency money = Amounts.currency(currency);
        long opening = openingBalance == null ? 0 : Amounts.minorUnits("openingBalance", openingBalance, money);
        long limit = dailyOutwardLimit == null ? Amounts.minorUnits(defaultDailyOutwardLimit, money)
                : Amounts.minorUnits("dailyOutwardLimit", dailyOutwardLimit, money);
        return new AccountOpening.Terms(account, customer, money.getCurrencyCode(), opening, limit);
    }

    /** Whether the text has the form of an account or customer id: no other can name one. */
    static boolean isId(String value) {
        return value != null && ID.matcher(value).matches();
    }

    private static String id(String field, String value, String code) {
        if (!isId(value)) {
            throw AdminProblem.unprocessable(code, field + " must be 1 to 100 letters, digits or . _ : @ -, "
                    + "starting with a letter or digit");
        }
        return value;
    }
}
