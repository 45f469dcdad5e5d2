package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** What a browser is told about every answer: run no script but the app's own, sniff nothing, leak no referrer. */
class SecurityHeadersTest extends IngressTestBase {

    /** Not a header name: where {@link #rawAnswer} keeps the answer's status. */
    private static final String STATUS = ":status";

    @LocalServerPort
    int port;

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

    /** A payer's voucher, alone or in their list, carries its bearer code: no cache on the way may keep it. */
    @Test
    void answersThatCarryAVouchersCodeAreNeverStored() {
        String voucherId = (String) alice.issuedVoucher("1.00").get("id");

        for (String uri : List.of("/api/vouchers/" + voucherId, "/api/vouchers")) {
            assertThat(alice.get(uri).exchange().expectStatus().isOk().expectBody().returnResult().getResponseHeaders()
                    .getCacheControl()).as(uri).contains("no-store");
        }
    }

    /** Refusals written before the security filters (a Content-Type that cannot be read, the firewall's) are told too. */
    @Test
    void refusalsWrittenBeforeTheSecurityFiltersCarryTheSameHeaders() throws IOException {
        assertStrictHeaders(rawAnswer("GET /api/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Type: foo\r\n"), 415);
        assertStrictHeaders(rawAnswer("GET /api/vouchers/a%2Fb HTTP/1.1\r\nHost: localhost\r\n"), 400);
    }

    /** The headers of the answer to a request written as is, unchecked by any client library; its status under STATUS. */
    private HttpHeaders rawAnswer(String requestHead) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write((requestHead + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            BufferedReader answer = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            HttpHeaders headers = new HttpHeaders();
            headers.add(STATUS, answer.readLine().split(" ")[1]);
            answer.lines().takeWhile(line -> !line.isEmpty()).forEach(line ->
                    headers.add(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1).trim()));
            return headers;
        }
    }

    private static void assertStrictHeaders(HttpHeaders answer, int status) {
        assertThat(answer.getFirst(STATUS)).isEqualTo(String.valueOf(status));
        assertStrictHeaders(answer);
    }

    private static void assertStrictHeaders(WebTestClient.ResponseSpec response) {
        assertStrictHeaders(response.expectBody().returnResult().getResponseHeaders());
    }

    private static void assertStrictHeaders(HttpHeaders headers) {
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
