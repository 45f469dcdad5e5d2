package io.qrvoucher.ingress.api;

import java.text.Normalizer;

import io.qrvoucher.avro.ExternalAccount;

/**
 * The details of an account at another bank as the clearing gets them, and as the payer and payee read them back:
 * each NFKC-normalised (full-width digits become digits) and trimmed, none blank nor longer than
 * {@value #MAX_TEXT} characters, with no control characters (NUL, line breaks) and no format characters
 * (bidirectional overrides, zero-width spaces), which would make a holder's name read otherwise than it is; the
 * number ASCII letters and digits (an IBAN has both), spaces and hyphens. A redemption uses its voucher up whatever
 * the transfer does: details the clearing cannot route are refused before it.
 */
final class ExternalAccounts {

    static final int MAX_TEXT = 100;

    private ExternalAccounts() {
    }

    static ExternalAccount checked(Dtos.ExternalAccount sent) {
        String bank = text(sent.bank());
        String name = text(sent.name());
        String number = text(sent.number());
        if (bank == null || name == null || number == null || !number.chars().allMatch(ExternalAccounts::inNumber)) {
            throw ApiException.unprocessable("INVALID_EXTERNAL_ACCOUNT", "An account at another bank needs its bank, "
                    + "holder name and number, each up to " + MAX_TEXT + " characters without control or formatting "
                    + "characters; the number of letters, digits, spaces and hyphens");
        }
        return new ExternalAccount(bank, name, number);
    }

    private static String text(String sent) {
        if (sent == null) {
            return null;
        }
        String normal = Normalizer.normalize(sent, Normalizer.Form.NFKC).trim();
        boolean readable = normal.codePoints()
                .noneMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT);
        return !normal.isEmpty() && normal.length() <= MAX_TEXT && readable ? normal : null;
    }

    private static boolean inNumber(int c) {
        return c < 128 && Character.isLetterOrDigit(c) || c == ' ' || c == '-';
    }
}
