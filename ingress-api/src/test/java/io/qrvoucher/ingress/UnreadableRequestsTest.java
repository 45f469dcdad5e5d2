package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Requests Netty refuses before any handler runs get problem details like every other refusal: before, an empty 400,
 * 414 or 431 that a client could not tell from a proxy's.
 */
class UnreadableRequestsTest extends IngressTestBase {

    @LocalServerPort
    int port;

    @Test
    void aRequestLineLongerThanTheApiReadsIsRefusedWithAProblem() throws IOException {
        String answer = exchange("GET /api/vouchers?cursor=" + "A".repeat(10_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 414 ").containsIgnoringCase("content-type: application/problem+json")
                .contains("\"code\":\"URI_TOO_LONG\"").contains("\"status\":414");
    }

    @Test
    void headersLargerThanTheApiReadsAreRefusedWithAProblem() throws IOException {
        String answer = exchange("GET /api/accounts HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "p".repeat(20_000)
                + "\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 431 ").containsIgnoringCase("content-type: application/problem+json")
                .contains("\"code\":\"HEADERS_TOO_LARGE\"");
    }

    @Test
    void aHeadThatIsNotHttpIsRefusedWithAProblem() throws IOException {
        String answer = exchange("GET /api/accounts HTTP/x.y\r\nHost: localhost\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 400 ").containsIgnoringCase("content-type: application/problem+json")
                .contains("\"code\":\"MALFORMED_REQUEST\"");
    }

    /**
     * A request before it on the connection that takes a while (a read from the voucher's owner) is answered first, as
     * its own: a client reads the first answer as the first request's. Reactor Netty then closes the connection, the
     * unreadable request unanswered.
     */
    @Test
    void anUnreadableRequestPipelinedBehindAnotherLeavesItsAnswerFirst() throws IOException {
        String answer = exchange("GET /api/vouchers/" + UUID.randomUUID() + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + alice.token() + "\r\n\r\n"
                + "GET /api/vouchers?cursor=" + "A".repeat(10_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 404 ").contains("\"code\":\"NOT_FOUND\"").doesNotContain("HTTP/1.1 414");
    }

    @Test
    void aRequestWithinTheLimitsIsAnsweredAsBefore() throws IOException {
        String answer = exchange("GET /api/vouchers/not-a-voucher HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 401 ");
    }

    /** Sends the request's head as it is and reads the whole answer, up to the server's closing the connection. */
    private String exchange(String head) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            in.transferTo(answer);
            return answer.toString(StandardCharsets.UTF_8);
        }
    }
}
