package io.qrvoucher.ledger.admin;

import java.util.Currency;
import java.util.regex.Pattern;

import io.qrvoucher.ledger.core.AccountOpening;
import io.qrvoucher.schemas.VoucherRules;

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

    /** Account ids go into URLs, record keys and logs: letters, digits and a few separators, as the ledger's own are. */
    private static final Pattern ACCOUNT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}");

    /** The terms this asks for, in minor units; a {@link AdminProblem} (422) names the first field that is wrong. */
    AccountOpening.Terms terms(long defaultDailyOutwardLimit) {
        if (!isAccountId(accountId)) {
            throw AdminProblem.unprocessable("INVALID_ACCOUNT_ID", "accountId must be 1 to 100 letters, digits or "
                    + ". _ : @ -, starting with a letter or digit");
        }
        if (AccountOpening.isReservedForTheBank(accountId)) {
            throw AdminProblem.unprocessable("INVALID_ACCOUNT_ID", accountId + " has the form of the bank's own accounts");
        }
        if (!VoucherRules.isCustomerId(customerId)) {
            throw AdminProblem.unprocessable("INVALID_CUSTOMER_ID", "customerId must be the customer's id as their "
                    + "sign-in names them: 1 to " + VoucherRules.MAX_CUSTOMER_ID_LENGTH
                    + " characters, not all blank, no control characters");
        }
        Currency money = Amounts.currency(currency);
        long opening = openingBalance == null ? 0 : Amounts.minorUnits("openingBalance", openingBalance, money);
        long limit = dailyOutwardLimit == null ? Amounts.minorUnits(defaultDailyOutwardLimit, money)
                : Amounts.minorUnits("dailyOutwardLimit", dailyOutwardLimit, money);
        return new AccountOpening.Terms(accountId, customerId, money.getCurrencyCode(), opening, limit);
    }

    /** Whether the text has the form of an account id: no other can name one. */
    static boolean isAccountId(String value) {
        return value != null && ACCOUNT_ID.matcher(value).matches();
    }
}
