package io.qrvoucher.webhook.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SecretBoxTest {

    private static final String K1 = Base64.getEncoder().encodeToString("k1-k1-k1-k1-k1-k1-k1-k1-k1-k1-k1-".getBytes());
    private static final String K2 = Base64.getEncoder().encodeToString("k2-k2-k2-k2-k2-k2-k2-k2-k2-k2-k2-".getBytes());

    @Test
    void aSecretIsStoredEncryptedAndOpensOnlyForItsEndpoint() {
        SecretBox box = new SecretBox(Map.of("k1", K1), "k1");
        String secret = SecretBox.newSecret();

        SecretBox.Sealed sealed = box.seal("endpoint-a", secret);

        assertThat(secret).startsWith("whsec_").hasSizeGreaterThan(40);
        assertThat(new String(sealed.ciphertext(), StandardCharsets.ISO_8859_1)).doesNotContain(secret.substring(6));
        assertThat(box.open("endpoint-a", sealed)).isEqualTo(secret);
        assertThatThrownBy(() -> box.open("endpoint-b", sealed)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void afterARotationOldSecretsStillOpenAndNewOnesUseTheNewKey() {
        SecretBox.Sealed old = new SecretBox(Map.of("k1", K1), "k1").seal("e", "whsec_old");
        SecretBox rotated = new SecretBox(Map.of("k1", K1, "k2", K2), "k2");

        assertThat(rotated.open("e", old)).isEqualTo("whsec_old");
        assertThat(rotated.seal("e", "whsec_new").keyId()).isEqualTo("k2");
        assertThatThrownBy(() -> new SecretBox(Map.of("k2", K2), "k2").open("e", old))
                .hasMessageContaining("no longer has");
    }

    @Test
    void aMissingOrShortKeyStopsTheServiceFromStarting() {
        assertThatThrownBy(() -> new SecretBox(Map.of(), "k1")).hasMessageContaining("webhook.secret-encryption.keys.k1");
        assertThatThrownBy(() -> new SecretBox(Map.of("k1", Base64.getEncoder().encodeToString(new byte[16])), "k1"))
                .hasMessageContaining("at least 256 bits");
        assertThatThrownBy(() -> new SecretBox(Map.of("k1", ""), "k1")).hasMessageContaining("at least 256 bits");
    }
}
