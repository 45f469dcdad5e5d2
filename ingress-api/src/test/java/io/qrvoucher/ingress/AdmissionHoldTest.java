package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.ingress.RealPipeline.Pause;

/**
 * A write answered {@code 202} while the pipeline still works on it keeps its admission place until its voucher
 * settles, whichever of the three handlers that publish took it: each tells admission control what its work waits
 * for. The voucher topology is paused to keep the work waiting. (How admission control keeps and frees a place is
 * {@code AdmissionControlTest}'s.) So does a customer's share of the places. A write whose body has not come holds
 * none.
 */
class AdmissionHoldTest extends IngressTestBase {

    /** Shorter than {@code ingress.limits.max-wait} (30 s), after which a kept place is freed anyway. */
    private static final Duration SETTLES_WITHIN = Duration.ofSeconds(20);
    /** {@code ingress.limits.max-in-flight-writes-per-customer}'s default. */
    private static final int SHARE_PER_CUSTOMER = 32;

    @Autowired
    MeterRegistry meters;

    @LocalServerPort
    int port;

    @Test
    void aGenerationAnswered202KeepsItsPlaceUntilItsVoucherIsIssued() {
        keepsItsPlaceWhileThePipelineWorks(() -> alice.post("/api/vouchers").header("Prefer", "wait=1")
                .bodyValue(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "CNY"))
                .exchange().expectStatus().isAccepted().expectBody(Void.class));
    }

    @Test
    void aRedemptionAnswered202KeepsItsPlaceUntilItSucceeds() {
        Map<String, Object> voucher = alice.issuedVoucher("1.00");

        keepsItsPlaceWhileThePipelineWorks(() -> bob.post("/api/redemptions").header("Prefer", "wait=1")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny"))
                .exchange().expectStatus().isAccepted().expectBody(Void.class));
    }

    @Test
    void aCancellationAnswered202KeepsItsPlaceUntilTheVoucherIsCancelled() {
        Map<String, Object> voucher = alice.issuedVoucher("1.00");

        keepsItsPlaceWhileThePipelineWorks(() -> alice.post("/api/vouchers/" + voucher.get("id") + "/cancel")
                .header("Prefer", "wait=1").exchange().expectStatus().isAccepted().expectBody(Void.class));
    }

    @Test
    void aCustomerHoldingTheirShareOfThePlacesIsRefused429WhileAnotherCustomerIsStillAdmitted() {
        await().atMost(Duration.ofSeconds(40)).until(() -> writesInFlight() == 0);
        try (Pause paused = RealPipeline.start().pauseVoucherStreams()) {
            // Answered 202 at once (no Prefer: wait), each keeps its place while its request waits in Kafka.
            for (int i = 0; i < SHARE_PER_CUSTOMER; i++) {
                generate(alice, "alice-cny").expectStatus().isAccepted().expectBody(Void.class);
            }

            generate(alice, "alice-cny").expectStatus().isEqualTo(HttpStatus.TOO_MANY_REQUESTS)
                    .expectHeader().valueEquals("Retry-After", "1")
                    .expectBody().jsonPath("$.code").isEqualTo("TOO_MANY_REQUESTS_IN_FLIGHT");
            generate(bob, "bob-cny").expectStatus().isAccepted().expectBody(Void.class);
            assertThat(writesInFlight()).as("alice's share and bob's one").isEqualTo(SHARE_PER_CUSTOMER + 1);
        }
        await().atMost(SETTLES_WITHIN).until(() -> writesInFlight() == 0);
        generate(alice, "alice-cny").expectStatus().isAccepted().expectBody(Void.class);
    }

    /** Its place is taken once its body has come: a body that never comes holds none, and is ended. */
    @Test
    void aWriteWhoseBodyStopsArrivingHoldsNoPlaceAndIsEnded() throws IOException {
        endedWhenItsBodyStopsArriving("POST /api/vouchers HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + alice.token() + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000\r\n\r\n{\"accountId\":");
    }

    /** A picture's request checks its limits before it reads the picture: the body's timer runs from the read. */
    @Test
    void aPictureWhoseUploadStopsHoldsNoPlaceAndIsEnded() throws IOException {
        endedWhenItsBodyStopsArriving("POST /api/redemptions HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + bob.token() + "\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                + "Content-Length: 5000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.png\"\r\n"
                + "Content-Type: image/png\r\n\r\nPNG");
    }

    /** Sends the request's headers and the start of its body; the rest never comes. */
    private void endedWhenItsBodyStopsArriving(String headersAndStartOfBody) throws IOException {
        await().atMost(Duration.ofSeconds(40)).until(() -> writesArriving() == 0 && writesInFlight() == 0);
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(headersAndStartOfBody.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> writesArriving() == 1);
            assertThat(writesInFlight()).as("its body still arriving, it holds no place").isZero();

            BufferedReader answer = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertThat(answer.readLine()).startsWith("HTTP/1.1 408 ");
            assertThat(answer.lines().takeWhile(line -> !line.isEmpty()).map(String::toLowerCase))
                    .contains("connection: close", "content-type: application/problem+json");
            assertThat(answer.readLine()).contains("\"code\":\"REQUEST_TIMEOUT\"");
            await().atMost(Duration.ofSeconds(10)).until(() -> writesArriving() == 0 && writesInFlight() == 0);
        }
    }

    private static WebTestClient.ResponseSpec generate(ApiClient customer, String accountId) {
        return customer.post("/api/vouchers").bodyValue(Map.of("accountId", accountId, "amount", "0.01", "currency", "CNY"))
                .exchange();
    }

    private void keepsItsPlaceWhileThePipelineWorks(Runnable answered202) {
        // Places other tests' 202s kept are freed within the max wait.
        await().atMost(Duration.ofSeconds(40)).until(() -> writesInFlight() == 0);
        try (Pause paused = RealPipeline.start().pauseVoucherStreams()) {
            answered202.run();

            assertThat(writesInFlight()).as("kept: the request still waits in Kafka").isEqualTo(1);
        }
        await().atMost(SETTLES_WITHIN).until(() -> writesInFlight() == 0);
    }

    private double writesArriving() {
        return meters.get("ingress.writes.arriving").gauge().value();
    }

    private double writesInFlight() {
        return meters.get("ingress.writes.in.flight").gauge().value();
    }
}
