package io.qrvoucher.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class RequestSignaturesTest {

    private static final String OLD_KEY = Base64.getEncoder().encodeToString("o".repeat(32).getBytes(StandardCharsets.US_ASCII));
    private static final String NEW_KEY = Base64.getEncoder().encodeToString("n".repeat(32).getBytes(StandardCharsets.US_ASCII));
    private static final byte[] VALUE = "a redemption".getBytes(StandardCharsets.UTF_8);

    private final RequestSignatures ingress = new RequestSignatures("k2", Map.of("k1", OLD_KEY, "k2", NEW_KEY));
    private final RequestSignatures streams = new RequestSignatures(null, Map.of("k1", OLD_KEY, "k2", NEW_KEY));

    @Test
    void aRecordSealedByTheIngressIsAccepted() {
        RecordHeaders headers = new RecordHeaders();
        ingress.sign(headers, "v1", VALUE);

        assertThat(streams.problem(headers, "v1", VALUE)).isEmpty();
    }

    @Test
    void anUnsealedOrAlteredRecordIsRefused() {
        RecordHeaders headers = new RecordHeaders();
        assertThat(streams.problem(headers, "v1", VALUE)).hasValueSatisfying(reason -> assertThat(reason).contains("no qr-signature"));

        headers.add("qr-signature", null); // Kafka lets a header have no value
        assertThat(streams.problem(headers, "v1", VALUE)).hasValueSatisfying(reason -> assertThat(reason).contains("no qr-signature"));

        ingress.sign(headers, "v1", VALUE);
        assertThat(streams.problem(headers, "v2", VALUE)).as("another key").isPresent();
        assertThat(streams.problem(headers, "v1", "another value".getBytes(StandardCharsets.UTF_8))).isPresent();
    }

    @Test
    void aRecordSealedWithAKeyTheVerifierDoesNotKnowIsRefused() {
        RecordHeaders headers = new RecordHeaders();
        new RequestSignatures("k3", Map.of("k3", Base64.getEncoder().encodeToString(new byte[32]))).sign(headers, "v1", VALUE);

        assertThat(streams.problem(headers, "v1", VALUE)).hasValueSatisfying(reason -> assertThat(reason).contains("no known key"));
    }

    @Test
    void aRecordSealedWithTheOldKeyIsAcceptedWhileBothAreKnown() {
        RecordHeaders headers = new RecordHeaders();
        new RequestSignatures("k1", Map.of("k1", OLD_KEY)).sign(headers, "v1", VALUE);

        assertThat(streams.problem(headers, "v1", VALUE)).isEmpty();
        assertThat(new RequestSignatures(null, Map.of("k2", NEW_KEY)).problem(headers, "v1", VALUE)).isPresent();
    }

    @Test
    void noKeyOrAShortKeyRefusesToStart() {
        assertThatThrownBy(() -> new RequestSignatures(null, Map.of())).hasMessageContaining("No request signing key");
        assertThatThrownBy(() -> new RequestSignatures(null, Map.of("k1", Base64.getEncoder().encodeToString(new byte[16]))))
                .hasMessageContaining("at least 32");
        assertThatThrownBy(() -> new RequestSignatures("k9", Map.of("k1", OLD_KEY))).hasMessageContaining("k9");
    }
}
