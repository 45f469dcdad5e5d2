package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;

import com.jayway.jsonpath.JsonPath;

import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** Cancel, lists, live status, settings and the API's own description. */
class ManageTest extends IngressTestBase {

    @Test
    void thePayerCancelsAnUnusedVoucherAndTheHoldIsReleased() {
        Map<String, Object> voucher = alice.issuedVoucher("15.00");

        alice.post("/api/vouchers/" + voucher.get("id") + "/cancel").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("CANCELLED").jsonPath("$.code").doesNotExist();

        alice.post("/api/vouchers/" + voucher.get("id") + "/cancel").exchange()
                .expectStatus().isEqualTo(409)
                .expectBody().jsonPath("$.code").isEqualTo("CANCELLED");
        bob.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny"))
                .exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("REJECTED").jsonPath("$.reason").isEqualTo("CANCELLED");
    }

    @Test
    void aCancelAnsweredBeforeItsOutcomeShowsNoCodeAndSaysWhereToReadIt() {
        Map<String, Object> voucher = alice.issuedVoucher("15.50");

        alice.post("/api/vouchers/" + voucher.get("id") + "/cancel").header("Prefer", "wait=0").exchange()
                .expectStatus().isAccepted()
                .expectHeader().valueEquals("Location", "/api/vouchers/" + voucher.get("id"))
                .expectBody().jsonPath("$.id").isEqualTo(voucher.get("id")).jsonPath("$.code").doesNotExist();

        await().atMost(Duration.ofSeconds(20)).until(() -> "CANCELLED".equals(JsonPath.read(alice.get("/api/vouchers/"
                + voucher.get("id")).exchange().expectBody(String.class).returnResult().getResponseBody(), "$.status")));
    }

    @Test
    void onlyThePayerMayCancel() {
        Map<String, Object> voucher = alice.issuedVoucher("16.00");

        bob.post("/api/vouchers/" + voucher.get("id") + "/cancel").exchange().expectStatus().isNotFound().expectBody(Void.class);
        bob.get("/api/vouchers/" + voucher.get("id")).exchange().expectStatus().isNotFound().expectBody(Void.class);

        bob.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny")).exchange().expectStatus().isOk().expectBody(Void.class);
        bob.post("/api/vouchers/" + voucher.get("id") + "/cancel").exchange()
                .expectStatus().isForbidden()
                .expectBody().jsonPath("$.code").isEqualTo("NOT_OWNER");
        alice.post("/api/vouchers/" + voucher.get("id") + "/cancel").exchange()
                .expectStatus().isEqualTo(409)
                .expectBody().jsonPath("$.code").isEqualTo("ALREADY_REDEEMED");
    }

    @Test
    void aCustomerListsVouchersByRoleStatusAndTimeNewestFirstInPages() {
        Instant start = Instant.now();
        Map<String, Object> first = alice.issuedVoucher("1.01");
        Map<String, Object> second = alice.issuedVoucher("1.02");
        Map<String, Object> third = alice.issuedVoucher("1.03");
        bob.post("/api/redemptions").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", second.get("code"), "accountId", "bob-cny")).exchange().expectStatus().isOk().expectBody(Void.class);
        // Lists are read from the per-customer index, which follows the vouchers within a commit or two.
        await().atMost(Duration.ofSeconds(10)).until(() -> ids(bob, "/api/vouchers?role=payee&from=" + start)
                .contains((String) second.get("id")));

        List<String> page0 = ids(alice, "/api/vouchers?role=payer&status=UNUSED&size=1&page=0&from=" + start);
        List<String> page1 = ids(alice, "/api/vouchers?role=payer&status=UNUSED&size=1&page=1&from=" + start);
        assertThat(page0).containsExactly((String) third.get("id"));
        assertThat(page1).containsExactly((String) first.get("id"));
        assertThat(ids(alice, "/api/vouchers?role=payer&status=REDEEMED&from=" + start)).containsExactly((String) second.get("id"));
        assertThat(ids(bob, "/api/vouchers?role=payee&from=" + start)).containsExactly((String) second.get("id"));
        assertThat(ids(alice, "/api/vouchers?role=payer&to=" + start)).doesNotContain((String) first.get("id"));

        alice.get("/api/vouchers?role=payer&status=UNUSED&size=1&from=" + start).exchange()
                .expectBody().jsonPath("$.hasMore").isEqualTo(true);
    }

    @Test
    void twoSettingsChangesSentAtOnceBothTakeEffect() {
        String customer = "settler-" + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, 10_00L);
        ApiClient settler = new ApiClient(http, customer);

        List<Integer> statuses = Flux.just(Map.of("redemptionMode", "REDEEM_ON_SCAN"),
                        Map.of("defaultRedemptionAccountId", customer + "-cny"))
                .flatMap(change -> reactor.core.publisher.Mono.fromCallable(() -> settler.put("/api/settings")
                                .bodyValue(change).exchange().expectBody().returnResult().getStatus().value())
                        .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()))
                .collectList().block();

        assertThat(statuses).containsOnly(200);
        settler.get("/api/settings").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.redemptionMode").isEqualTo("REDEEM_ON_SCAN")
                .jsonPath("$.defaultRedemptionAccountId").isEqualTo(customer + "-cny")
                .jsonPath("$.stepUpPolicy").isEqualTo("EVERY_TIME");
    }

    @Test
    void aBadListQueryIsRefused() {
        for (String query : List.of("role=owner", "status=SPENT", "from=yesterday", "size=0", "size=1000", "page=-1",
                "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "page=200000000&size=20", "cursor=AA",
                "cursor=not-base64!")) {
            alice.get("/api/vouchers?" + query).exchange()
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("INVALID_QUERY");
        }
    }

    /** What no request may hold (a control character, an encoded slash, a path parameter) is malformed, never a 500. */
    @Test
    void aQueryOrPathNoRequestMayHoldIsRefusedAsMalformed() {
        for (String target : List.of("/api/vouchers?%01=x", "/api/vouchers?role=payer&%7F", "/api/vouchers/a%2Fb",
                "/api/vouchers/x;y=1")) {
            alice.getRaw(target).exchange()
                    .expectStatus().isBadRequest()
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.code").isEqualTo("MALFORMED_REQUEST");
        }
    }

    @Test
    void aCursorServesOnlyTheListThatGaveItOut() {
        alice.issuedVoucher("1.04");
        alice.issuedVoucher("1.05");
        Map<String, Object> first = alice.get("/api/vouchers?role=payer&size=1").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        String cursor = (String) first.get("next");
        assertThat(cursor).isNotNull();
        assertThat(ids(alice, "/api/vouchers?role=payer&size=1&cursor=" + cursor)).hasSize(1);

        for (ApiClient customer : List.of(alice, bob)) {
            String role = customer == alice ? "payee" : "payer";
            customer.get("/api/vouchers?role=" + role + "&cursor=" + cursor).exchange()
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.code").isEqualTo("INVALID_QUERY");
        }
    }

    @Test
    void aTimeRangeBeyondWhatAListCoversReadsAsTheWholeList() {
        Map<String, Object> voucher = alice.issuedVoucher("1.06");
        await().atMost(Duration.ofSeconds(10)).until(() -> ids(alice,
                "/api/vouchers?role=payer&size=100&from=-1000000000-01-01T00:00:00Z&to=9999-12-31T00:00:00Z")
                .contains((String) voucher.get("id")));
    }

    @Test
    void livestatusStreamsEveryChangeUntilTheVoucherIsFinal() {
        Map<String, Object> voucher = alice.issuedVoucher("17.00");

        Flux<ServerSentEvent<Map<String, Object>>> events = http.get().uri("/api/vouchers/" + voucher.get("id") + "/events")
                .headers(h -> h.setBearerAuth(alice.token()))
                .accept(MediaType.TEXT_EVENT_STREAM)
                .exchange()
                .expectStatus().isOk()
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>>() { })
                .getResponseBody()
                .filter(event -> "voucher".equals(event.event()));

        StepVerifier.create(events)
                .assertNext(event -> assertThat(event.data()).containsEntry("status", "UNUSED"))
                .then(() -> bob.post("/api/redemptions")
                        .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny"))
                        .exchange().expectStatus().isAccepted().expectBody(Void.class))
                .assertNext(event -> assertThat(event.data()).containsEntry("status", "REDEEMING"))
                .assertNext(event -> assertThat(event.data()).containsEntry("status", "REDEEMED"))
                .expectComplete()
                .verify(Duration.ofSeconds(30));
    }

    @Test
    void settingsAreKeptAndReadBack() {
        carol.put("/api/settings").bodyValue(Map.of("defaultGenerationAccountId", "carol-cny",
                        "defaultRedemptionAccountId", "carol-cny", "redemptionMode", "SCAN_THEN_CONFIRM",
                        "stepUpPolicy", "FIRST_TIME_ONLY"))
                .exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.redemptionMode").isEqualTo("SCAN_THEN_CONFIRM");

        carol.get("/api/settings").exchange().expectStatus().isOk()
                .expectBody()
                .jsonPath("$.defaultGenerationAccountId").isEqualTo("carol-cny")
                .jsonPath("$.defaultRedemptionAccountId").isEqualTo("carol-cny")
                .jsonPath("$.stepUpPolicy").isEqualTo("FIRST_TIME_ONLY");
    }

    /**
     * An owner behind (here, paused) has not merged a change by the end of its read-back: the change was answered 200
     * with the settings as they were, telling the caller it was not made, and it was made once the owner caught up.
     */
    @Test
    void aSettingsChangeNotMergedWithinItsReadBackIsAnsweredMaybeDoneAndTakesEffectAfter() {
        String customer = "behind-" + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, 10_00L);
        ApiClient settler = new ApiClient(http, customer);

        try (RealPipeline.Pause paused = RealPipeline.start().pauseVoucherStreams()) {
            settler.put("/api/settings").bodyValue(Map.of("defaultRedemptionAccountId", customer + "-cny")).exchange()
                    .expectStatus().isEqualTo(503)
                    .expectHeader().exists("Retry-After")
                    .expectBody().jsonPath("$.detail").value(detail -> assertThat(detail.toString())
                            .contains("may have been").contains("Send it again"));
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> settler.get("/api/settings").exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.defaultRedemptionAccountId").isEqualTo(customer + "-cny"));
    }

    @Test
    void settingsNameOnlyTheCustomersOwnAccountsAndKnownModes() {
        carol.put("/api/settings").bodyValue(Map.of("defaultRedemptionAccountId", "alice-cny")).exchange()
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("ACCOUNT_NOT_FOUND");
        carol.put("/api/settings").bodyValue(Map.of("redemptionMode", "WHENEVER")).exchange()
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("INVALID_SETTINGS");
    }

    @Test
    void aVoucherThatDoesNotExistIsNotFound() {
        String nobody = UUID.randomUUID().toString();
        alice.get("/api/vouchers/" + nobody).exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("NOT_FOUND");
        alice.get("/api/vouchers/" + nobody + "/qr.png").exchange().expectStatus().isNotFound().expectBody(Void.class);
        alice.get("/api/vouchers/" + nobody + "/events").exchange().expectStatus().isNotFound().expectBody(Void.class);
        alice.post("/api/vouchers/" + nobody + "/cancel").exchange().expectStatus().isNotFound().expectBody(Void.class);
        alice.get("/api/redemptions/" + nobody).exchange().expectStatus().isNotFound().expectBody(Void.class);
    }

    @Test
    void anIdThatCannotNameAVoucherIsNotFoundHoweverLong() {
        // '!' may stand in a path as it is, but a strict encoding triples it; 'é' is sent as six characters.
        for (String id : List.of("x".repeat(4_000), "!".repeat(4_000), "é".repeat(600), "not-a-voucher")) {
            for (String path : List.of("/api/vouchers/{id}", "/api/vouchers/{id}/qr.png", "/api/vouchers/{id}/counter-code",
                    "/api/vouchers/{id}/counter-qr.png", "/api/vouchers/{id}/events", "/api/redemptions/{id}")) {
                alice.get(path.replace("{id}", id)).exchange().expectStatus().isNotFound().expectBody(Void.class);
            }
            alice.post("/api/vouchers/" + id + "/cancel").exchange().expectStatus().isNotFound().expectBody(Void.class);
        }
        alice.get("/api/vouchers?cursor=" + "A".repeat(4_000)).exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.code").isEqualTo("INVALID_QUERY");
    }

    @Test
    void theApiDescribesItselfWithOpenApiAndSwaggerUi() {
        http.get().uri("/v3/api-docs").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.paths['/api/vouchers'].post").exists()
                .jsonPath("$.paths['/api/redemptions'].post").exists()
                .jsonPath("$.paths['/api/vouchers/{id}/events'].get").exists()
                // Swagger UI can send a token: the description names the scheme and asks for it.
                .jsonPath("$.components.securitySchemes.bearer.scheme").isEqualTo("bearer")
                .jsonPath("$.security[0].bearer").exists();
        http.get().uri("/swagger-ui.html").exchange().expectStatus().is3xxRedirection().expectBody(Void.class);
    }

    @Test
    void theApiDescriptionSaysWhatEachCallAnswersAndHowItIsRefused() {
        http.get().uri("/v3/api-docs").exchange()
                .expectStatus().isOk()
                .expectBody()
                // A generation is answered 202 by default, with where to read the voucher.
                .jsonPath("$.paths['/api/vouchers'].post.responses['202'].headers.Location").exists()
                // Its refusals, shared with other calls, are problem details; a 503 says when to send it again.
                .jsonPath("$.paths['/api/vouchers'].post.responses['422']['$ref']")
                .isEqualTo("#/components/responses/Unprocessable")
                .jsonPath("$.paths['/api/vouchers'].post.responses['503']['$ref']")
                .isEqualTo("#/components/responses/Unavailable")
                .jsonPath("$.components.responses.Unprocessable.content['application/problem+json'].schema['$ref']")
                .isEqualTo("#/components/schemas/Problem")
                .jsonPath("$.components.responses.Unavailable.content['application/problem+json'].schema['$ref']")
                .isEqualTo("#/components/schemas/Problem")
                .jsonPath("$.components.responses.Unavailable.headers['Retry-After']").exists()
                .jsonPath("$.components.schemas.Problem.properties.code").exists()
                // A call's own refusals are problem details too, not the picture or voucher its success returns.
                .jsonPath("$.paths['/api/vouchers/{id}/qr.png'].get.responses['409'].content['application/problem+json']")
                .exists()
                .jsonPath("$.paths['/api/vouchers/{id}/qr.png'].get.responses['409'].content['image/png']").doesNotExist()
                .jsonPath("$.paths['/api/vouchers'].post.responses['429'].headers['Retry-After']").exists()
                // Only what a call can meet: a generation names no id, so no 404.
                .jsonPath("$.paths['/api/vouchers'].post.responses['404']").doesNotExist()
                // A redemption by a picture says what its form holds.
                .jsonPath("$.paths['/api/redemptions'].post.requestBody.content['multipart/form-data'].schema['$ref']")
                .isEqualTo("#/components/schemas/RedemptionForm")
                .jsonPath("$.components.schemas.RedemptionForm.properties.image.format").isEqualTo("binary")
                // The demo sign-in needs no token.
                .jsonPath("$.paths['/dev/token'].post.security").isArray()
                .jsonPath("$.paths['/dev/token'].post.security").isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static List<String> ids(ApiClient customer, String uri) {
        Map<String, Object> page = customer.get(uri).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        return ((List<Map<String, Object>>) page.get("items")).stream().map(item -> (String) item.get("id")).toList();
    }
}
