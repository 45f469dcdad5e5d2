package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** What a browser is told about every answer: run no script but the app's own, sniff nothing, leak no referrer. */
class SecurityHeadersTest extends IngressTestBase {

    @Test
    void theWebAppIsServedWithAStrictContentSecurityPolicy() {
        assertStrictHeaders(http.get().uri("/").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML));
        assertStrictHeaders(http.get().uri("/app.js").exchange().expectStatus().isOk());
    }

    @Test
    void apiAnswersCarryTheSameHeadersAcceptedOrRefused() {
        assertStrictHeaders(alice.get("/api/accounts").exchange().expectStatus().isOk());
        assertStrictHeaders(http.get().uri("/api/accounts").exchange().expectStatus().isUnauthorized());
    }

    private static void assertStrictHeaders(WebTestClient.ResponseSpec response) {
        HttpHeaders headers = response.expectBody().returnResult().getResponseHeaders();
        String policy = headers.getFirst("Content-Security-Policy");
        assertThat(policy).as("Content-Security-Policy").isNotNull().doesNotContain("unsafe-inline", "unsafe-eval");
        Map<String, String> directives = Arrays.stream(policy.split(";")).map(String::trim)
                .collect(Collectors.toMap(directive -> directive.split(" ")[0],
                        directive -> directive.substring(directive.indexOf(' ') + 1)));
        assertThat(directives).containsEntry("default-src", "'self'")
                .containsEntry("script-src", "'self'")
                .containsEntry("object-src", "'none'")
                .containsEntry("base-uri", "'none'")
                .containsEntry("frame-ancestors", "'none'");
        assertThat(headers.getFirst("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(headers.getFirst("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(headers.getFirst("X-Frame-Options")).isEqualTo("DENY");
        // Sent over http too: TLS ends before the ingress in a deployment, and a browser takes it only over https.
        assertThat(headers.getFirst("Strict-Transport-Security")).isEqualTo("max-age=31536000; includeSubDomains");
    }
}
