package io.qrvoucher.ingress.codes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;

import org.junit.jupiter.api.Test;

class QrCodesTest {

    private final QrCodes qr = new QrCodes();

    @Test
    void aRenderedCodeDecodesToItsText() {
        for (int i = 0; i < 50; i++) {
            String code = "QRV1." + UUID.randomUUID() + ".AbCdEfGhIjKlMnOpQrStUv";

            assertThat(qr.decode(qr.render(code))).contains(code);
        }
    }

    @Test
    void bytesThatAreNoPictureAreRefused() {
        assertThatThrownBy(() -> qr.decode(new byte[] {1, 2, 3})).isInstanceOf(QrCodes.UnreadableImageException.class);
    }
}
