package io.qrvoucher.ingress.api;

import java.text.Normalizer;

import io.qrvoucher.avro.ExternalAccount;

/**
 * The details of an account at another bank as the clearing gets them, and as the payer and payee read them back:
 * each NFKC-normalised (full-width digits become digits) and trimmed, none blank nor longer than
 * {@value #MAX_TEXT} characters, with no control characters or line breaks, and none of the invisible characters that
 * make a holder's name read otherwise than it is (bidirectional overrides and isolates, zero-width spaces; the
 * joiners and direction marks some scripts' names need stay); the number ASCII letters and digits (an IBAN has both)
 * with spaces, hyphens, dots and slashes (Norway and the Czech Republic write them). A redemption uses its voucher up
 * whatever the transfer does: details the clearing cannot route are refused before it.
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
                    + "characters; the number of letters, digits, spaces, hyphens, dots and slashes");
        }
        return new ExternalAccount(bank, name, number);
    }

    private static String text(String sent) {
        if (sent == null) {
            return null;
        }
        String normal = Normalizer.normalize(sent, Normalizer.Form.NFKC).trim();
        boolean readable = normal.codePoints().noneMatch(c -> Character.isISOControl(c) || misleading(c));
        return !normal.isEmpty() && normal.length() <= MAX_TEXT && readable ? normal : null;
    }

    /** Line and paragraph separators, direction overrides and isolates, zero-width spaces and the byte order mark. */
    private static boolean misleading(int c) {
        return c == 0x2028 || c == 0x2029 || c >= 0x202A && c <= 0x202E || c >= 0x2066 && c <= 0x2069
                || c == 0x200B || c == 0x2060 || c == 0xFEFF;
    }

    private static boolean inNumber(int c) {
        return c < 128 && Character.isLetterOrDigit(c) || c == ' ' || c == '-' || c == '.' || c == '/';
    }
}
