package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

class GenerateTest extends IngressTestBase {

    @Test
    void generatingWithPreferWaitReturnsTheIssuedVoucherWithItsCode() {
        Map<String, Object> voucher = body(alice.post("/api/vouchers").header("Prefer", "wait=20")
                .bodyValue(Map.of("accountId", "alice-cny", "amount", "12.34", "currency", "CNY"))
                .exchange()
                .expectStatus().isOk()
                .expectHeader().value("Location", location -> assertThat(location).startsWith("/api/vouchers/")));

        assertThat(voucher).containsEntry("status", "UNUSED").containsEntry("amount", "12.34")
                .containsEntry("currency", "CNY").containsEntry("role", "payer");
        assertThat((String) voucher.get("code")).startsWith("QRV1." + voucher.get("id") + ".");
        assertThat(Instant.parse((String) voucher.get("expiresAt"))).isAfter(Instant.now());
    }

    @Test
    void generatingWithoutWaitingAnswers202WithThePendingVoucherAndItsLocation() {
        String location = alice.post("/api/vouchers")
                .bodyValue(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "CNY"))
                .exchange()
                .expectStatus().isAccepted()
                .expectBody().jsonPath("$.status").isEqualTo("PENDING")
                .returnResult().getResponseHeaders().getLocation().toString();

        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() ->
                alice.get(location).exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("UNUSED"));
    }

    @Test
    void theLocationOfA202ReadAtOnceIsTheVoucherToItsPayerNeverNotFound() {
        for (int i = 0; i < 5; i++) {
            String location = alice.post("/api/vouchers")
                    .bodyValue(Map.of("accountId", "alice-cny", "amount", "1.01", "currency", "CNY"))
                    .exchange()
                    .expectStatus().isAccepted()
                    .expectBody().returnResult().getResponseHeaders().getLocation().toString();

            alice.get(location).exchange().expectStatus().isOk().expectBody().jsonPath("$.amount").isEqualTo("1.01");
            bob.get(location).exchange().expectStatus().isNotFound().expectBody(Void.class);
        }
    }

    @Test
    void aVoucherIdIssuedToItsPayerThatIsNotRecordedInTimeIsUnavailableNotNotFound() {
        io.qrvoucher.ingress.codes.VoucherCodes codes =
                new io.qrvoucher.ingress.codes.VoucherCodes(java.util.Base64.getDecoder().decode(CODE_SECRET));
        String neverSent = codes.newVoucherId("alice", Instant.now());

        alice.get("/api/vouchers/" + neverSent).exchange()
                .expectStatus().isEqualTo(503)
                .expectHeader().exists("Retry-After")
                .expectBody().jsonPath("$.code").isEqualTo("TEMPORARILY_UNAVAILABLE");
        bob.get("/api/vouchers/" + neverSent).exchange().expectStatus().isNotFound().expectBody(Void.class);
        // Made before the recording window (7 days) and missing, it is not on its way: its owner forgot it.
        alice.get("/api/vouchers/" + codes.newVoucherId("alice", Instant.now().minus(Duration.ofDays(9))))
                .exchange().expectStatus().isNotFound().expectBody(Void.class);
    }

    @Test
    void aGenerationRetriedWithItsKeyAfterItsDefaultAccountChangedIsAnsweredAsItWasTaken() {
        String customer = "retrier-" + UUID.randomUUID();
        RealPipeline pipeline = RealPipeline.start();
        pipeline.openAccount(customer + "-cny", customer, 10_00L);
        pipeline.openAccount(customer + "-usd", customer, "USD", 10_00L);
        ApiClient retrier = new ApiClient(http, customer);
        retrier.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "FIRST_TIME_ONLY",
                "defaultGenerationAccountId", customer + "-cny")).exchange().expectStatus().isOk().expectBody(Void.class);
        Map<String, Object> request = Map.of("amount", "1.00", "currency", "CNY");
        String key = UUID.randomUUID().toString();
        Map<String, Object> first = body(retrier.post("/api/vouchers").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());

        retrier.put("/api/settings").bodyValue(Map.of("defaultGenerationAccountId", customer + "-usd")).exchange()
                .expectStatus().isOk().expectBody(Void.class);

        retrier.post("/api/vouchers").header("Idempotency-Key", key).header("Prefer", "wait=20").bodyValue(request)
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.id").isEqualTo(first.get("id")).jsonPath("$.status").isEqualTo("UNUSED");
        retrier.post("/api/vouchers").bodyValue(request).exchange()
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("CURRENCY_MISMATCH");
    }

    @Test
    void anAmountThatTheBalanceDoesNotCoverEndsRejectedWithTheReason() {
        ApiClient payer = customerWith(500_00L); // the demo customers' balances move with the other classes' tests
        payer.post("/api/vouchers").header("Prefer", "wait=20")
                .bodyValue(Map.of("accountId", payer.customerId() + "-cny", "amount", "600.00", "currency", "CNY"))
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("REJECTED")
                .jsonPath("$.reason").isEqualTo("INSUFFICIENT_FUNDS")
                .jsonPath("$.code").doesNotExist();
    }

    @Test
    void theAmountIsFrozenOnTheAccount() {
        ApiClient payer = customerWith(500_00L);
        payer.issuedVoucher("100.00");

        List<Map<String, Object>> accounts = payer.get("/api/accounts").exchange().expectStatus().isOk()
                .expectBodyList(Map.class).returnResult().getResponseBody().stream()
                .map(account -> (Map<String, Object>) account).toList();
        assertThat(accounts).singleElement().satisfies(account -> {
            assertThat(account.get("held")).isEqualTo("100.00");
            assertThat(account.get("available")).isEqualTo("400.00");
            assertThat(account.get("balance")).isEqualTo("500.00");
        });
    }

    @Test
    void invalidRequestsAreRefusedWithTheirOwnProblemType() {
        refused(Map.of("accountId", "alice-cny", "amount", "12.345", "currency", "CNY"), 422, "INVALID_AMOUNT");
        refused(Map.of("accountId", "alice-cny", "amount", "-1.00", "currency", "CNY"), 422, "INVALID_AMOUNT");
        refused(Map.of("accountId", "alice-cny", "amount", "0", "currency", "CNY"), 422, "INVALID_AMOUNT");
        refused(Map.of("accountId", "alice-cny", "amount", "ten", "currency", "CNY"), 422, "INVALID_AMOUNT");
        refused(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "cny"), 422, "UNSUPPORTED_CURRENCY");
        refused(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "XYZ"), 422, "UNSUPPORTED_CURRENCY");
        refused(Map.of("accountId", "alice-cny", "amount", "1000.01", "currency", "CNY"), 422, "AMOUNT_EXCEEDS_VOUCHER_CAP");
        refused(Map.of("accountId", "bob-cny", "amount", "1.00", "currency", "CNY"), 422, "ACCOUNT_NOT_FOUND");
        refused(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "USD"), 422, "CURRENCY_MISMATCH");
        refused(Map.of("amount", "1.00", "currency", "CNY"), 422, "ACCOUNT_REQUIRED");
        refused(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "CNY", "expiresAt", "2020-01-01T00:00:00Z"),
                422, "VALIDITY_IN_PAST");
        refused(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "CNY", "expiresAt", "tomorrow"),
                400, "MALFORMED_REQUEST");
        // An instant ISO-8601 allows but no record's timestamp holds.
        refused(Map.of("accountId", "alice-cny", "amount", "1.00", "currency", "CNY",
                "expiresAt", "+1000000000-01-01T00:00:00Z"), 422, "VALIDITY_TOO_LONG");
    }

    @Test
    void malformedAndOversizedBodiesAreRefused() {
        alice.post("/api/vouchers").bodyValue("{\"amount\": ").exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("MALFORMED_REQUEST");
        alice.post("/api/vouchers").bodyValue("[1, 2, 3]").exchange()
                .expectStatus().isBadRequest().expectBody(Void.class);
        alice.post("/api/vouchers").bodyValue("{\"amount\": {\"nested\": [1]}}").exchange()
                .expectStatus().isBadRequest().expectBody(Void.class);
        alice.post("/api/vouchers").bodyValue("{\"accountId\": \"" + "x".repeat(100_000) + "\"}").exchange()
                .expectStatus().isEqualTo(413)
                .expectBody().jsonPath("$.code").isEqualTo("PAYLOAD_TOO_LARGE");
        alice.post("/api/vouchers").contentType(MediaType.TEXT_PLAIN).bodyValue("12.34 CNY").exchange()
                .expectStatus().isEqualTo(415)
                .expectBody().jsonPath("$.code").isEqualTo("UNSUPPORTED_MEDIA_TYPE");
    }

    @Test
    void theSameIdempotencyKeyTwiceReturnsTheFirstVoucher() {
        String key = UUID.randomUUID().toString();
        Map<String, Object> request = Map.of("accountId", "alice-cny", "amount", "2.00", "currency", "CNY");

        Map<String, Object> first = body(alice.post("/api/vouchers").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());
        Map<String, Object> again = body(alice.post("/api/vouchers").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());

        assertThat(again.get("id")).isEqualTo(first.get("id"));
        assertThat(again.get("status")).isEqualTo("UNUSED");
    }

    @Test
    void aRetryWithItsKeyAfterTheValidityEndedReturnsTheFirstVoucherWhereANewRequestIsRefused() {
        String key = UUID.randomUUID().toString();
        Instant end = Instant.now().plusSeconds(3);
        Map<String, Object> request = Map.of("accountId", "alice-cny", "amount", "2.07", "currency", "CNY",
                "expiresAt", end.toString());
        Map<String, Object> first = body(alice.post("/api/vouchers").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());

        await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(end));
        Map<String, Object> again = body(alice.post("/api/vouchers").header("Idempotency-Key", key)
                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk());
        assertThat(again.get("id")).isEqualTo(first.get("id"));

        for (String otherKey : new String[] {UUID.randomUUID().toString(), null}) {
            alice.post("/api/vouchers").headers(h -> {
                        if (otherKey != null) {
                            h.set("Idempotency-Key", otherKey);
                        }
                    }).bodyValue(request).exchange()
                    .expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.code").isEqualTo("VALIDITY_IN_PAST");
        }
    }

    @Test
    void anAcceptedVoucherShowsItsAmountAtTheCurrencysScaleAsWritten() {
        alice.post("/api/vouchers").bodyValue(Map.of("accountId", "alice-cny", "amount", "0005.5", "currency", "CNY"))
                .exchange()
                .expectStatus().isAccepted()
                .expectBody().jsonPath("$.status").isEqualTo("PENDING").jsonPath("$.amount").isEqualTo("5.50");
    }

    @Test
    void theSameIdempotencyKeyWithAnotherBodyIsRefused() {
        String key = UUID.randomUUID().toString();
        alice.post("/api/vouchers").header("Idempotency-Key", key)
                .bodyValue(Map.of("accountId", "alice-cny", "amount", "3.00", "currency", "CNY"))
                .exchange().expectStatus().isAccepted().expectBody(Void.class);

        alice.post("/api/vouchers").header("Idempotency-Key", key)
                .bodyValue(Map.of("accountId", "alice-cny", "amount", "4.00", "currency", "CNY"))
                .exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("IDEMPOTENCY_KEY_REUSED");
    }

    /**
     * An identity provider's subject may hold a slash: customer "x" with key "b/c" and customer "x/b" with key "c" are
     * two customers' keys, whose claims were once kept under one key ("x/b/c"), the second refused as the first's.
     */
    @Test
    void aSlashInACustomersIdNeverMakesTheirKeyAnotherCustomersKey() {
        String customer = "slash-" + UUID.randomUUID();
        ApiClient first = new ApiClient(http, customer);
        ApiClient second = new ApiClient(http, customer + "/b");
        RealPipeline.start().openAccount(customer + "-first", customer, 10_00L);
        RealPipeline.start().openAccount(customer + "-second", customer + "/b", 10_00L);

        Map<String, Object> firsts = body(first.post("/api/vouchers").header("Idempotency-Key", "b/c")
                .header("Prefer", "wait=20")
                .bodyValue(Map.of("accountId", customer + "-first", "amount", "1.00", "currency", "CNY"))
                .exchange().expectStatus().isOk());
        Map<String, Object> seconds = body(second.post("/api/vouchers").header("Idempotency-Key", "c")
                .header("Prefer", "wait=20")
                .bodyValue(Map.of("accountId", customer + "-second", "amount", "2.00", "currency", "CNY"))
                .exchange().expectStatus().isOk());

        assertThat(seconds.get("id")).isNotEqualTo(firsts.get("id"));
        assertThat(seconds).containsEntry("amount", "2.00").containsEntry("status", "UNUSED");
    }

    @Test
    void twoConcurrentPostsWithOneKeyCreateOneVoucher() {
        String key = UUID.randomUUID().toString();
        Map<String, Object> request = Map.of("accountId", "alice-cny", "amount", "5.00", "currency", "CNY");
        Instant start = Instant.now().minusMillis(1);

        List<String> ids = Flux.range(0, 2)
                .flatMap(i -> Mono.fromCallable(() -> (String) body(alice.post("/api/vouchers").header("Idempotency-Key", key)
                                .header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk()).get("id"))
                        .subscribeOn(Schedulers.boundedElastic()))
                .collectList().block();

        assertThat(ids).hasSize(2);
        assertThat(ids.get(0)).isEqualTo(ids.get(1));
        // The list follows the vouchers within a commit or two: wait for the one, then see it is the only one.
        await().atMost(Duration.ofSeconds(10)).until(() -> !createdSince(start).isEmpty());
        assertThat(createdSince(start)).containsExactly(ids.get(0));
    }

    private List<String> createdSince(Instant start) {
        List<?> items = (List<?>) body(alice.get("/api/vouchers?size=100&from=" + start).exchange().expectStatus().isOk())
                .get("items");
        return items.stream().map(item -> (String) ((Map<?, ?>) item).get("id")).toList();
    }

    @Test
    void underEveryTimeEachVoucherNeedsItsOwnFreshSignIn() {
        ApiClient payer = customerWith(0L);
        payer.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "EVERY_TIME")).exchange().expectStatus().isOk().expectBody(Void.class);
        payer.signIn();
        Map<String, Object> request = Map.of("accountId", payer.customerId() + "-cny", "amount", "1.00", "currency", "CNY");

        payer.post("/api/vouchers").header("Prefer", "wait=20").bodyValue(request).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.reason").isEqualTo("INSUFFICIENT_FUNDS");

        payer.post("/api/vouchers").bodyValue(request).exchange()
                .expectStatus().isForbidden()
                .expectBody().jsonPath("$.code").isEqualTo("STEP_UP_REQUIRED");
    }

    @Test
    void aGenerationRefusedForStepUpStaysRefusedWithItsKeyEvenAfterAFreshSignIn() {
        carol.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "EVERY_TIME")).exchange().expectStatus().isOk().expectBody(Void.class);
        carol.signIn();
        Map<String, Object> request = Map.of("accountId", "carol-cny", "amount", "1.00", "currency", "CNY");
        carol.post("/api/vouchers").header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk().expectBody(Void.class);
        String key = UUID.randomUUID().toString();

        for (int attempt = 0; attempt < 2; attempt++) {
            carol.post("/api/vouchers").header("Idempotency-Key", key).bodyValue(request).exchange()
                    .expectStatus().isForbidden()
                    .expectBody().jsonPath("$.code").isEqualTo("STEP_UP_REQUIRED");
        }

        carol.signIn();
        carol.post("/api/vouchers").header("Idempotency-Key", key).header("Prefer", "wait=20").bodyValue(request)
                .exchange().expectStatus().isForbidden()
                .expectBody().jsonPath("$.code").isEqualTo("STEP_UP_REQUIRED");
        // The fresh sign-in confirms the request sent anew, under a new key: the refused retry did not use it up.
        carol.post("/api/vouchers").header("Idempotency-Key", UUID.randomUUID().toString()).header("Prefer", "wait=20")
                .bodyValue(request).exchange().expectStatus().isOk().expectBody(Void.class);
    }

    @Test
    void aSettingsChangeRefusedForStepUpStaysRefusedWithItsKeyEvenAfterAFreshSignIn() {
        ApiClient customer = new ApiClient(http, "settings-" + UUID.randomUUID());
        String key = UUID.randomUUID().toString();
        Map<String, Object> weakening = Map.of("stepUpPolicy", "FIRST_TIME_ONLY");

        customer.signedInAgo(Duration.ofHours(2)).put("/api/settings").header("Idempotency-Key", key)
                .bodyValue(weakening).exchange()
                .expectStatus().isForbidden()
                .expectBody().jsonPath("$.code").isEqualTo("STEP_UP_REQUIRED");
        customer.signIn();
        customer.put("/api/settings").header("Idempotency-Key", key).bodyValue(weakening).exchange()
                .expectStatus().isForbidden()
                .expectBody().jsonPath("$.code").isEqualTo("STEP_UP_REQUIRED");

        customer.put("/api/settings").header("Idempotency-Key", UUID.randomUUID().toString()).bodyValue(weakening)
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.stepUpPolicy").isEqualTo("FIRST_TIME_ONLY");
    }

    @Test
    void aRefreshedTokenConfirmsNoVoucherMoreThanItsSignIn() {
        carol.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "EVERY_TIME")).exchange().expectStatus().isOk().expectBody(Void.class);
        carol.signIn();
        Map<String, Object> request = Map.of("accountId", "carol-cny", "amount", "1.00", "currency", "CNY");
        carol.post("/api/vouchers").header("Prefer", "wait=20").bodyValue(request).exchange().expectStatus().isOk()
                .expectBody(Void.class);

        carol.refreshed().post("/api/vouchers").header("Prefer", "wait=20").bodyValue(request).exchange()
                .expectStatus().isForbidden()
                .expectBody().jsonPath("$.code").isEqualTo("STEP_UP_REQUIRED");
    }

    @Test
    void aGenerationRefusedForStepUpHoldsItsKeyForItsBody() {
        carol.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "EVERY_TIME")).exchange().expectStatus().isOk().expectBody(Void.class);
        String key = UUID.randomUUID().toString();
        carol.signedInAgo(Duration.ofHours(2)).post("/api/vouchers").header("Idempotency-Key", key)
                .bodyValue(Map.of("accountId", "carol-cny", "amount", "1.00", "currency", "CNY")).exchange()
                .expectStatus().isForbidden().expectBody(Void.class);

        carol.signIn();
        carol.post("/api/vouchers").header("Idempotency-Key", key)
                .bodyValue(Map.of("accountId", "carol-cny", "amount", "2.00", "currency", "CNY")).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.code").isEqualTo("IDEMPOTENCY_KEY_REUSED");
    }

    @Test
    void oneSignInConfirmsOneVoucherEvenWhenTwoAreSentAtOnce() {
        carol.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "EVERY_TIME")).exchange().expectStatus().isOk().expectBody(Void.class);
        carol.signIn();
        Map<String, Object> request = Map.of("accountId", "carol-cny", "amount", "1.00", "currency", "CNY");

        List<Integer> statuses = Flux.range(0, 4)
                .flatMap(i -> Mono.fromCallable(() -> carol.post("/api/vouchers").bodyValue(request).exchange()
                                .expectBody().returnResult().getStatus().value())
                        .subscribeOn(Schedulers.boundedElastic()))
                .collectList().block();

        assertThat(statuses).filteredOn(status -> status == 202).hasSize(1);
        assertThat(statuses).filteredOn(status -> status == 403).hasSize(3);
    }

    @Test
    void aStolenTokenWithoutAFreshSignInCannotWeakenStepUpOrRedeemOnScan() {
        String customer = "victim-" + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, 100_00L);
        ApiClient thief = new ApiClient(http, customer).signedInAgo(Duration.ofHours(2));

        for (Map<String, String> weaker : List.of(Map.of("stepUpPolicy", "FIRST_TIME_ONLY"),
                Map.of("redemptionMode", "REDEEM_ON_SCAN"))) {
            thief.put("/api/settings").bodyValue(weaker).exchange()
                    .expectStatus().isForbidden()
                    .expectBody().jsonPath("$.code").isEqualTo("STEP_UP_REQUIRED");
        }
        thief.get("/api/settings").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.stepUpPolicy").isEqualTo("EVERY_TIME")
                .jsonPath("$.redemptionMode").isEqualTo("SCAN_THEN_CONFIRM");
        thief.post("/api/vouchers").bodyValue(Map.of("accountId", customer + "-cny", "amount", "1.00", "currency", "CNY"))
                .exchange().expectStatus().isForbidden().expectBody(Void.class);
    }

    @Test
    void strengtheningASettingOrKeepingAWeakOneNeedsNoFreshSignIn() {
        String customer = "careful-" + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, 100_00L);
        ApiClient owner = new ApiClient(http, customer);
        owner.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "FIRST_TIME_ONLY")).exchange().expectStatus().isOk().expectBody(Void.class);
        owner.signedInAgo(Duration.ofHours(2));

        owner.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "FIRST_TIME_ONLY", "redemptionMode", "SCAN_THEN_CONFIRM"))
                .exchange().expectStatus().isOk().expectBody(Void.class);
        owner.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "EVERY_TIME")).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.stepUpPolicy").isEqualTo("EVERY_TIME");
    }

    @Test
    void underFirstTimeOnlyOneFreshSignInConfirmsTheFirstVouchersEvenWhenSentAtOnce() {
        String customer = "first-timer-" + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, 100_00L);
        ApiClient firstTimer = new ApiClient(http, customer);
        firstTimer.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "FIRST_TIME_ONLY")).exchange().expectStatus().isOk().expectBody(Void.class);
        Map<String, Object> request = Map.of("accountId", customer + "-cny", "amount", "1.00", "currency", "CNY");

        List<Integer> statuses = Flux.range(0, 4)
                .flatMap(i -> Mono.fromCallable(() -> firstTimer.post("/api/vouchers").bodyValue(request).exchange()
                                .expectBody().returnResult().getStatus().value())
                        .subscribeOn(Schedulers.boundedElastic()))
                .collectList().block();

        assertThat(statuses).containsOnly(202);
    }

    @Test
    void aStaleSignInIsNoConfirmation() {
        carol.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "EVERY_TIME")).exchange().expectStatus().isOk().expectBody(Void.class);
        Instant longAgo = Instant.now().minusSeconds(3600);
        String stale = io.qrvoucher.ingress.security.DemoTokens.sign("carol", longAgo, Instant.now().plusSeconds(600),
                ApiClient.ISSUER, ApiClient.AUDIENCE, ApiClient.TOKEN_KEY);

        http.post().uri("/api/vouchers").headers(h -> h.setBearerAuth(stale)).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("accountId", "carol-cny", "amount", "1.00", "currency", "CNY")).exchange()
                .expectStatus().isForbidden()
                .expectBody().jsonPath("$.code").isEqualTo("STEP_UP_REQUIRED");
    }

    private void refused(Map<String, Object> request, int status, String code) {
        alice.post("/api/vouchers").bodyValue(request).exchange()
                .expectStatus().isEqualTo(status)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.code").isEqualTo(code)
                .jsonPath("$.type").isEqualTo("urn:qrvoucher:problem:" + code.toLowerCase().replace('_', '-'));
    }

}
