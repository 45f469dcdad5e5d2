package io.qrvoucher.ingress.codes;

import java.util.UUID;

/** The ids the system makes (of vouchers, of webhook endpoints) are UUIDs in their canonical form. */
public final class Uuids {

    private static final int CANONICAL_LENGTH = 36;

    private Uuids() {
    }

    /** Whether the text is a UUID as the system writes one; anything else names nothing the system made. */
    public static boolean isCanonical(String text) {
        if (text == null || text.length() != CANONICAL_LENGTH) {
            return false;
        }
        try {
            return UUID.fromString(text).toString().equals(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
