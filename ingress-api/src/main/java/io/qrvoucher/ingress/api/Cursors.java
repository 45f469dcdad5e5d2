package io.qrvoucher.ingress.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** List cursors as clients see them: opaque, URL-safe text around the index position they stand for. */
final class Cursors {

    /**
     * Longer than any cursor given out (a customer id, a time and a voucher id), for customer ids of up to 700
     * characters; a longer one is refused before it is passed on, where it might not fit the owner's request line.
     */
    private static final int MAX_LENGTH = 1024;

    private Cursors() {
    }

    static String encode(String position) {
        return position == null ? null
                : Base64.getUrlEncoder().withoutPadding().encodeToString(position.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        if (cursor.length() > MAX_LENGTH) {
            throw notGivenOut();
        }
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw notGivenOut();
        }
    }

    private static ApiException notGivenOut() {
        return ApiException.badRequest("INVALID_QUERY", "cursor is not one this API gave out");
    }
}
