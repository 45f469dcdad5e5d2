package io.qrvoucher.ingress.api;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
            // Strictly: bytes that are not UTF-8 would each become U+FFFD, three bytes, nine characters once
            // percent-encoded, and the cursor passed on would outgrow the owner's request line after all.
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Base64.getUrlDecoder().decode(cursor))).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw notGivenOut();
        }
    }

    private static ApiException notGivenOut() {
        return ApiException.badRequest("INVALID_QUERY", "cursor is not one this API gave out");
    }
}
