package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;

import org.junit.jupiter.api.Test;

class CursorsTest {

    @Test
    void aCursorGivenOutReadsAsThePositionItStandsFor() {
        String position = "alice\u0000P\u00007fffffffffffffff\u0000voucher-\u4e2d";

        assertThat(Cursors.decode(Cursors.encode(position))).isEqualTo(position);
    }

    /** Each byte would have been read as U+FFFD: 1,024 characters of cursor, 6,912 once passed on to the owner. */
    @Test
    void aCursorWhoseBytesAreNotTextIsRefusedBeforeItIsPassedOn() {
        String notText = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {'a', (byte) 0xff, (byte) 0xfe});

        for (String cursor : new String[] {notText, "_".repeat(1024)}) {
            assertThatThrownBy(() -> Cursors.decode(cursor)).isInstanceOfSatisfying(ApiException.class,
                    refusal -> assertThat(refusal.getBody().getProperties()).containsEntry("code", "INVALID_QUERY"));
        }
    }
}
