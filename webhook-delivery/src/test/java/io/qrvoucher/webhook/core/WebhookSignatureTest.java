package io.qrvoucher.webhook.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

    private static final String SECRET = "whsec_test";
    private static final byte[] BODY = "{\"id\":\"v1/v2\"}".getBytes(StandardCharsets.UTF_8);
    private static final Instant AT = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration TOLERANCE = Duration.ofMinutes(5);

    @Test
    void theHeaderCarriesTheTimeAndAnHmacOfTimeAndBodyThatAReceiverVerifies() {
        String header = WebhookSignature.sign(List.of(SECRET), AT, BODY);

        assertThat(header).matches("t=" + AT.getEpochSecond() + ",v1=[0-9a-f]{64}");
        assertThat(WebhookSignature.verify(SECRET, header, BODY, AT.plusSeconds(3), TOLERANCE)).isTrue();
    }

    @Test
    void theMacIsHmacSha256OfTimeDotBodySoReceiversCanCheckItWithAnyLibrary() {
        // printf '%s' '1772359200.{"id":"v1/v2"}' | openssl dgst -sha256 -hmac 'whsec_test'
        assertThat(WebhookSignature.sign(List.of(SECRET), AT, BODY))
                .isEqualTo("t=1772359200,v1=7669e0615114af60309b2fd7d5cd780ac870856ee8dd0163a504b7cc0a81f5a3");
    }

    @Test
    void aChangedBodyAnotherSecretOrAMovedTimestampDoNotVerify() {
        String header = WebhookSignature.sign(List.of(SECRET), AT, BODY);

        assertThat(WebhookSignature.verify(SECRET, header, "{\"id\":\"v1/v3\"}".getBytes(StandardCharsets.UTF_8), AT, TOLERANCE)).isFalse();
        assertThat(WebhookSignature.verify("whsec_other", header, BODY, AT, TOLERANCE)).isFalse();
        String moved = header.replace("t=" + AT.getEpochSecond(), "t=" + (AT.getEpochSecond() + 60));
        assertThat(WebhookSignature.verify(SECRET, moved, BODY, AT, TOLERANCE)).isFalse();
        assertThat(WebhookSignature.verify(SECRET, null, BODY, AT, TOLERANCE)).isFalse();
        assertThat(WebhookSignature.verify(SECRET, "t=x,v1=zz", BODY, AT, TOLERANCE)).isFalse();
    }

    @Test
    void nothingIsSignedWithoutASecret() {
        assertThatThrownBy(() -> WebhookSignature.sign(List.of(), AT, BODY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCapturedRequestReplayedAfterTheToleranceIsRefused() {
        String header = WebhookSignature.sign(List.of(SECRET), AT, BODY);

        assertThat(WebhookSignature.verify(SECRET, header, BODY, AT.plus(TOLERANCE).plusSeconds(1), TOLERANCE)).isFalse();
    }

    @Test
    void whileASecretRotatesEachSecretSignsAndEitherVerifies() {
        String header = WebhookSignature.sign(List.of(SECRET, "whsec_old"), AT, BODY);

        assertThat(header).matches("t=" + AT.getEpochSecond() + ",v1=[0-9a-f]{64},v1=[0-9a-f]{64}");
        assertThat(header).startsWith(WebhookSignature.sign(List.of(SECRET), AT, BODY) + ",v1=");
        assertThat(WebhookSignature.verify(SECRET, header, BODY, AT, TOLERANCE)).isTrue();
        assertThat(WebhookSignature.verify("whsec_old", header, BODY, AT, TOLERANCE)).isTrue();
        assertThat(WebhookSignature.verify("whsec_other", header, BODY, AT, TOLERANCE)).isFalse();
    }
}
