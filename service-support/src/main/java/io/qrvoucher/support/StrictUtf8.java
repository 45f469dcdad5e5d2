package io.qrvoucher.support;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Bytes read as UTF-8 only if they are UTF-8: {@code new String(bytes, UTF_8)} reads each malformed sequence as U+FFFD,
 * so that different bytes read as one text.
 */
public final class StrictUtf8 {

    private StrictUtf8() {
    }

    /** The text the bytes encode; empty if they are not UTF-8. */
    public static Optional<String> decode(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
