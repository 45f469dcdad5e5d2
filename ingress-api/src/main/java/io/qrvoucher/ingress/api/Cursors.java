package io.qrvoucher.ingress.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** List cursors as clients see them: opaque, URL-safe text around the index position they stand for. */
final class Cursors {

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
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("INVALID_QUERY", "cursor is not one this API gave out");
        }
    }
}
