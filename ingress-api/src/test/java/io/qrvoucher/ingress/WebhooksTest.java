package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import com.jayway.jsonpath.JsonPath;
import com.sun.net.httpserver.HttpServer;

import io.qrvoucher.webhook.core.WebhookSignature;

/**
 * Webhooks through the API, in front of the real pipeline and the webhook delivery service: customers register
 * endpoints (real HTTP receivers on this machine), a voucher is generated and redeemed, and its events reach
 * its payer's and its payee's endpoints, signed, and nobody else's.
 */
class WebhooksTest extends IngressTestBase {

    /** A customer's receiver: records what it is POSTed and answers 200. */
    static final class Receiver implements AutoCloseable {
        record Request(String signature, String eventId, String deliveryId, String body) {
        }

        private final HttpServer server;
        final List<Request> requests = new CopyOnWriteArrayList<>();

        Receiver() {
            this(200);
        }

        /** A receiver that answers every delivery {@code status}. */
        Receiver(int status) {
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.createContext("/", exchange -> {
                requests.add(new Request(exchange.getRequestHeaders().getFirst(WebhookSignature.HEADER),
                        exchange.getRequestHeaders().getFirst(WebhookSignature.EVENT_ID_HEADER),
                        exchange.getRequestHeaders().getFirst(WebhookSignature.DELIVERY_ID_HEADER),
                        new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://localhost:" + server.getAddress().getPort() + "/hooks";
        }

        List<Request> of(String voucherId) {
            return requests.stream().filter(request -> JsonPath.<String>read(request.body(), "$.voucherId").equals(voucherId))
                    .toList();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @AfterEach
    @SuppressWarnings("unchecked")
    void removeEndpoints() {
        for (ApiClient customer : List.of(alice, bob, carol)) {
            List<Map<String, Object>> endpoints = customer.get("/api/webhooks").exchange().expectStatus().isOk()
                    .expectBodyList(Map.class).returnResult().getResponseBody().stream()
                    .map(endpoint -> (Map<String, Object>) endpoint).toList();
            endpoints.forEach(endpoint -> customer.delete("/api/webhooks/" + endpoint.get("id")).exchange()
                    .expectStatus().isNoContent());
        }
    }

    @Test
    void aRedemptionsEventsReachThePayersAndThePayeesEndpointsSignedAndNoOneElses() {
        try (Receiver alices = new Receiver(); Receiver bobs = new Receiver(); Receiver carols = new Receiver()) {
            Map<String, Object> aliceEndpoint = register(alice, alices.url(), "ISSUED", "REDEMPTION_STARTED", "REDEEMED");
            Map<String, Object> bobEndpoint = register(bob, bobs.url(), "REDEEMED");
            Map<String, Object> carolEndpoint = register(carol, carols.url(), "ISSUED", "REDEMPTION_STARTED", "REDEEMED");
            assertThat((String) aliceEndpoint.get("secret")).startsWith("whsec_");

            Map<String, Object> voucher = alice.issuedVoucher("12.00");
            String voucherId = (String) voucher.get("id");
            bob.post("/api/redemptions").header("Prefer", "wait=20")
                    .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny"))
                    .exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("SUCCEEDED");

            await().atMost(Duration.ofSeconds(30)).until(() -> alices.of(voucherId).size() == 3 && bobs.of(voucherId).size() == 1);
            assertThat(alices.of(voucherId)).extracting(request -> JsonPath.<String>read(request.body(), "$.type"))
                    .containsExactly("ISSUED", "REDEMPTION_STARTED", "REDEEMED");
            assertThat(alices.of(voucherId)).allMatch(request -> verifies(request, (String) aliceEndpoint.get("secret")));
            Receiver.Request toBob = bobs.of(voucherId).get(0);
            assertThat(verifies(toBob, (String) bobEndpoint.get("secret"))).isTrue();
            assertThat(verifies(toBob, (String) aliceEndpoint.get("secret"))).isFalse();
            assertThat(JsonPath.<String>read(toBob.body(), "$.voucher.redemption.amount")).isEqualTo("12.00");
            assertThat(toBob.body()).doesNotContain((String) voucher.get("code")).doesNotContain("codeHash");
            // Bob's REDEEMED came from the event whose deliveries were all recorded at once: carol had none.
            assertThat(carols.of(voucherId)).isEmpty();
            carol.get("/api/webhooks/" + carolEndpoint.get("id") + "/deliveries").exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$[?(@.voucherId == '" + voucherId + "')]").isEmpty();

            // Alice sees the deliveries with their attempts, and has one sent again.
            String deliveries = alice.get("/api/webhooks/" + aliceEndpoint.get("id") + "/deliveries").exchange()
                    .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
            assertThat(JsonPath.<String>read(deliveries, "$[0].eventType")).isEqualTo("REDEEMED");
            assertThat(JsonPath.<String>read(deliveries, "$[0].status")).isEqualTo("DELIVERED");
            assertThat(JsonPath.<Integer>read(deliveries, "$[0].attempts[0].statusCode")).isEqualTo(200);
            String delivery = JsonPath.read(deliveries, "$[0].id");
            alice.post("/api/webhooks/" + aliceEndpoint.get("id") + "/deliveries/" + delivery + "/resend")
                    .exchange().expectStatus().isAccepted().expectBody().jsonPath("$.resendOf").isEqualTo(delivery);
            await().atMost(Duration.ofSeconds(30)).until(() -> alices.of(voucherId).size() == 4);
            assertThat(alices.of(voucherId).get(3).eventId()).isEqualTo(alices.of(voucherId).get(2).eventId());
        }
    }

    /** A receiver taken down for good says so with 410 Gone; its customer enables the endpoint again once it is back. */
    @Test
    void anEndpointWhoseReceiverAnswersGoneIsDisabledUntilItsCustomerEnablesIt() {
        try (Receiver gone = new Receiver(410)) {
            String id = (String) register(alice, gone.url(), "ISSUED").get("id");

            alice.issuedVoucher("1.00");

            await().atMost(Duration.ofSeconds(30)).until(() -> "GONE".equals(JsonPath.read(alice.get("/api/webhooks/" + id)
                    .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody(),
                    "$.disabledReason")));
            alice.get("/api/webhooks/" + id).exchange().expectBody().jsonPath("$.disabledAt").isNotEmpty();
            problem(bob.post("/api/webhooks/" + id + "/enable").exchange().expectStatus().isNotFound(), "NOT_FOUND");
            alice.post("/api/webhooks/" + id + "/enable").exchange().expectStatus().isOk().expectBody()
                    .jsonPath("$.id").isEqualTo(id)
                    .jsonPath("$.disabledAt").doesNotExist()
                    .jsonPath("$.disabledReason").doesNotExist();
        }
    }

    @Test
    void aRotatedSecretSignsBesideTheOldOneForADayAndARetryWithItsKeyGetsTheSameSecret() {
        try (Receiver alices = new Receiver()) {
            Map<String, Object> endpoint = register(alice, alices.url(), "ISSUED");
            String rotations = "/api/webhooks/" + endpoint.get("id") + "/secret-rotations";
            String rotated = alice.post(rotations).header("Idempotency-Key", "rotate-1").exchange()
                    .expectStatus().isCreated().expectBody(String.class).returnResult().getResponseBody();
            String retried = alice.post(rotations).header("Idempotency-Key", "rotate-1").exchange()
                    .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
            String secret = JsonPath.read(rotated, "$.secret");
            assertThat(secret).startsWith("whsec_").isNotEqualTo(endpoint.get("secret"));
            assertThat(JsonPath.<String>read(retried, "$.secret")).isEqualTo(secret);
            assertThat(Instant.parse(JsonPath.read(rotated, "$.previousSecretExpiresAt")))
                    .isEqualTo(Instant.parse(JsonPath.<String>read(rotated, "$.rotatedAt")).plus(Duration.ofDays(1)));

            String voucherId = (String) alice.issuedVoucher("3.00").get("id");

            await().atMost(Duration.ofSeconds(30)).until(() -> alices.of(voucherId).size() == 1);
            assertThat(verifies(alices.of(voucherId).get(0), secret)).isTrue();
            assertThat(verifies(alices.of(voucherId).get(0), (String) endpoint.get("secret"))).isTrue();
        }
    }

    /** A thief with alice's token but not her password can neither send her events somewhere new nor get a secret her receiver trusts. */
    @Test
    void aStolenTokenWithoutAFreshSignInCannotRegisterAnEndpointOrRotateItsSecret() {
        Map<String, Object> registration = Map.of("url", "http://localhost:1/hooks", "eventTypes", List.of("REDEEMED"));
        Map<String, Object> endpoint = body(alice.post("/api/webhooks").header("Idempotency-Key", "register-1")
                .bodyValue(registration).exchange().expectStatus().isCreated());
        String rotations = "/api/webhooks/" + endpoint.get("id") + "/secret-rotations";
        ApiClient thief = new ApiClient(http, "alice").signedInAgo(Duration.ofHours(2));

        problem(thief.post("/api/webhooks").bodyValue(Map.of("url", "http://localhost:2/thief", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isForbidden(), "STEP_UP_REQUIRED");
        problem(thief.post("/api/webhooks").header("Idempotency-Key", "thief-1")
                .bodyValue(Map.of("url", "http://localhost:2/thief", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isForbidden(), "STEP_UP_REQUIRED");
        problem(thief.post(rotations).exchange().expectStatus().isForbidden(), "STEP_UP_REQUIRED");
        problem(thief.post(rotations).header("Idempotency-Key", "thief-2").exchange().expectStatus().isForbidden(),
                "STEP_UP_REQUIRED");

        assertThat(alice.get("/api/webhooks").exchange().expectBodyList(Map.class).returnResult().getResponseBody())
                .extracting(found -> found.get("id")).containsExactly(endpoint.get("id"));
        // Answered with the secret it was registered with: no rotation replaced it.
        Map<String, Object> retried = body(alice.post("/api/webhooks").header("Idempotency-Key", "register-1")
                .bodyValue(registration).exchange().expectStatus().isOk());
        assertThat(retried).containsEntry("id", endpoint.get("id")).containsEntry("secret", endpoint.get("secret"));
    }

    @Test
    void aRegistrationOrRotationRefusedForStepUpStaysRefusedWithItsKeyEvenAfterAFreshSignIn() {
        Map<String, Object> endpoint = register(alice, "http://localhost:1/hooks", "REDEEMED");
        String rotations = "/api/webhooks/" + endpoint.get("id") + "/secret-rotations";
        Map<String, Object> registration = Map.of("url", "http://localhost:1/other", "eventTypes", List.of("REDEEMED"));
        alice.post(rotations).header("Idempotency-Key", "made-1").exchange().expectStatus().isCreated();
        List<Supplier<WebTestClient.ResponseSpec>> requests = List.of(
                () -> alice.post("/api/webhooks").header("Idempotency-Key", "late-1").bodyValue(registration).exchange(),
                // A retry too: its answer would carry the secret.
                () -> alice.post(rotations).header("Idempotency-Key", "made-1").exchange(),
                () -> alice.post(rotations).header("Idempotency-Key", "late-2").exchange());

        alice.signedInAgo(Duration.ofHours(2));
        requests.forEach(request -> problem(request.get().expectStatus().isForbidden(), "STEP_UP_REQUIRED"));
        alice.signIn();
        requests.forEach(request -> problem(request.get().expectStatus().isForbidden(), "STEP_UP_REQUIRED"));
        assertThat(alice.get("/api/webhooks").exchange().expectBodyList(Map.class).returnResult().getResponseBody())
                .extracting(found -> found.get("id")).containsExactly(endpoint.get("id"));

        alice.post("/api/webhooks").header("Idempotency-Key", "signed-in-1").bodyValue(registration).exchange()
                .expectStatus().isCreated();
        alice.post(rotations).header("Idempotency-Key", "signed-in-2").exchange().expectStatus().isCreated();
    }

    /** One key, one request (SPEC section 3), whichever endpoint or kind of request it was first sent with. */
    @Test
    void anIdempotencyKeySentWithAnotherRequestIsRefusedNotActedOnAgain() {
        Map<String, Object> first = register(alice, "http://localhost:1/first", "REDEEMED");
        Map<String, Object> second = register(alice, "http://localhost:1/second", "REDEEMED");
        alice.post("/api/webhooks/" + first.get("id") + "/secret-rotations").header("Idempotency-Key", "rotate-once")
                .exchange().expectStatus().isCreated();
        alice.post("/api/vouchers").header("Idempotency-Key", "generate-once")
                .bodyValue(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "CNY"))
                .exchange().expectStatus().is2xxSuccessful().expectBody(Void.class);

        problem(alice.post("/api/webhooks/" + second.get("id") + "/secret-rotations").header("Idempotency-Key", "rotate-once")
                .exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "IDEMPOTENCY_KEY_REUSED");
        problem(alice.post("/api/webhooks/" + second.get("id") + "/secret-rotations").header("Idempotency-Key", "generate-once")
                .exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "IDEMPOTENCY_KEY_REUSED");
        problem(alice.post("/api/webhooks").header("Idempotency-Key", "rotate-once")
                .bodyValue(Map.of("url", "http://localhost:1/third", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "IDEMPOTENCY_KEY_REUSED");
        assertThat(alice.get("/api/webhooks").exchange().expectBodyList(Map.class).returnResult().getResponseBody())
                .extracting(found -> found.get("id")).containsExactlyInAnyOrder(first.get("id"), second.get("id"));
        alice.post("/api/webhooks/" + first.get("id") + "/secret-rotations").header("Idempotency-Key", "rotate-once")
                .exchange().expectStatus().isOk();
    }

    @Test
    void aPrivateAddressAnUnknownEventTypeOrAForeignEndpointIsRefusedWithAProblem() {
        problem(alice.post("/api/webhooks").bodyValue(Map.of("url", "https://10.0.0.8/hooks", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "WEBHOOK_URL_NOT_ALLOWED");
        problem(alice.post("/api/webhooks").bodyValue(Map.of("url", "https://169.254.169.254/latest", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "WEBHOOK_URL_NOT_ALLOWED");
        problem(alice.post("/api/webhooks").bodyValue(Map.of("url", "not a url", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "INVALID_WEBHOOK_URL");
        problem(alice.post("/api/webhooks").bodyValue(Map.of("url", "http://localhost:1/", "eventTypes", List.of("PAID")))
                .exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "UNKNOWN_EVENT_TYPE");
        problem(alice.post("/api/webhooks").bodyValue("{\"url\": ").exchange().expectStatus().isBadRequest(),
                "MALFORMED_REQUEST");
        problem(alice.post("/api/webhooks").header("Idempotency-Key", "bad key")
                .bodyValue(Map.of("url", "http://localhost:1/", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isBadRequest(), "INVALID_IDEMPOTENCY_KEY");
        // Sent twice, a header reaches the handler as its values joined by a comma: not one key made of both.
        problem(alice.post("/api/webhooks").header("Idempotency-Key", "first-key", "second-key")
                .bodyValue(Map.of("url", "http://localhost:1/", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isBadRequest(), "INVALID_IDEMPOTENCY_KEY");

        Map<String, Object> alices = register(alice, "http://localhost:1/hooks", "REDEEMED");
        bob.get("/api/webhooks/" + alices.get("id") + "/deliveries").exchange().expectStatus().isNotFound().expectBody(Void.class);
        bob.delete("/api/webhooks/" + alices.get("id")).exchange().expectStatus().isNotFound().expectBody(Void.class);
        problem(bob.post("/api/webhooks/" + alices.get("id") + "/deliveries/1/resend").exchange().expectStatus().isNotFound(),
                "NOT_FOUND");
        problem(bob.post("/api/webhooks/" + alices.get("id") + "/secret-rotations").exchange().expectStatus().isNotFound(),
                "NOT_FOUND");
        String rotations = "/api/webhooks/" + alices.get("id") + "/secret-rotations";
        problem(alice.post(rotations).bodyValue(Map.of("previousSecretExpiresInSeconds", -1)).exchange()
                .expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "INVALID_SECRET_ROTATION");
        for (String unclear : List.of("{\"previousSecretExpiresInSeconds\": \"soon\"}", "{\"previousSecretExpiresInSeconds\": 0.5}",
                "{\"previousSecretExpiresIn\": 0}", "{\"previousSecretExpiresInSeconds\": null}")) {
            problem(alice.post(rotations).header("Content-Type", "application/json").bodyValue(unclear).exchange()
                    .expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT), "INVALID_SECRET_ROTATION");
        }
        for (String malformed : List.of("[0]", "{\"previousSecretExpiresInSeconds\": 0, \"previousSecretExpiresInSeconds\": 86400}",
                "{\"previousSecretExpiresInSeconds\": ")) {
            problem(alice.post(rotations).header("Content-Type", "application/json").bodyValue(malformed).exchange()
                    .expectStatus().isBadRequest(), "MALFORMED_REQUEST");
        }
        for (String madeUp : List.of("!".repeat(4_000), "é".repeat(600), "not-an-endpoint")) {
            bob.get("/api/webhooks/" + madeUp + "/deliveries").exchange().expectStatus().isNotFound().expectBody(Void.class);
            bob.delete("/api/webhooks/" + madeUp).exchange().expectStatus().isNotFound().expectBody(Void.class);
            bob.post("/api/webhooks/" + madeUp + "/deliveries/1/resend").exchange().expectStatus().isNotFound().expectBody(Void.class);
            bob.post("/api/webhooks/" + madeUp + "/secret-rotations").exchange().expectStatus().isNotFound().expectBody(Void.class);
        }
        assertThat(bob.get("/api/webhooks").exchange().expectBodyList(Map.class).returnResult().getResponseBody()).isEmpty();
        http.get().uri("/api/webhooks").exchange().expectStatus().isUnauthorized().expectBody(Void.class);
    }

    @Test
    void aRegistrationsLocationReadsTheEndpointWithoutItsSecretToItsCustomerOnly() {
        try (Receiver alices = new Receiver()) {
            EntityExchangeResult<byte[]> registered = alice.post("/api/webhooks")
                    .bodyValue(Map.of("url", alices.url(), "eventTypes", List.of("REDEEMED")))
                    .exchange().expectStatus().isCreated().expectBody().returnResult();
            String location = registered.getResponseHeaders().getLocation().toString();
            String id = JsonPath.read(new String(registered.getResponseBody(), StandardCharsets.UTF_8), "$.id");

            alice.get(location).exchange().expectStatus().isOk().expectBody()
                    .jsonPath("$.id").isEqualTo(id)
                    .jsonPath("$.url").isEqualTo(alices.url())
                    .jsonPath("$.secret").doesNotExist();
            problem(bob.get(location).exchange().expectStatus().isNotFound(), "NOT_FOUND");
        }
    }

    private static Map<String, Object> register(ApiClient customer, String url, String... eventTypes) {
        return body(customer.post("/api/webhooks").bodyValue(Map.of("url", url, "eventTypes", List.of(eventTypes)))
                .exchange().expectStatus().isCreated().expectHeader().exists("Location"));
    }

    private static void problem(WebTestClient.ResponseSpec response, String code) {
        response.expectHeader().contentType("application/problem+json").expectBody().jsonPath("$.code").isEqualTo(code);
    }

    private static boolean verifies(Receiver.Request request, String secret) {
        return WebhookSignature.verify(secret, request.signature(), request.body().getBytes(StandardCharsets.UTF_8),
                Instant.now(), Duration.ofMinutes(5));
    }
}
