package io.qrvoucher.ingress.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import io.qrvoucher.support.StrictUtf8;

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
        byte[] position;
        try {
            position = Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw notGivenOut();
        }
        // Strictly: bytes that are not UTF-8 would each become U+FFFD, three bytes, nine characters once
        // percent-encoded, and the cursor passed on would outgrow the owner's request line after all.
        return StrictUtf8.decode(position).orElseThrow(Cursors::notGivenOut);
    }

    private static ApiException notGivenOut() {
        return ApiException.badRequest("INVALID_QUERY", "cursor is not one this API gave out");
    }
}
