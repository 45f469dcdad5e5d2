package io.qrvoucher.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Every path of the lifecycle through HTTP, on the three-broker stack with two instances of each service. */
@org.junit.jupiter.api.Order(1)
class LifecycleTest {

    private final PipelineStack stack = SharedStack.get();
    private final Map<String, String> tokens = SharedStack.tokens();
    private final Api api = new Api(stack.apiUrls());

    @Test
    void fiftyConcurrentRedemptionsOfOneVoucherSucceedExactlyOnce() throws Exception {
        Api.Response voucher = generate("20.00", null);
        String code = voucher.string("code");
        ExecutorService payees = Executors.newFixedThreadPool(50);
        List<Future<Api.Response>> attempts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String payee = i % 2 == 0 ? "bob" : "carol";
            attempts.add(payees.submit(() -> api.send("POST", "/api/redemptions", tokens.get(payee), "wait=30",
                    Map.of("code", code, "accountId", payee + "-cny"))));
        }
        List<String> outcomes = new ArrayList<>();
        for (Future<Api.Response> attempt : attempts) {
            Api.Response response = attempt.get(60, TimeUnit.SECONDS);
            outcomes.add(response.string("status") + (response.string("reason") == null ? "" : ":" + response.string("reason")));
        }
        payees.shutdown();

        assertThat(outcomes).filteredOn("SUCCEEDED"::equals).hasSize(1);
        assertThat(outcomes).filteredOn(outcome -> !outcome.equals("SUCCEEDED")).containsOnly("REJECTED:ALREADY_REDEEMED");
        assertThat(stack.database().jdbc().sql("SELECT count(*) FROM journal_transactions WHERE voucher_id = :v")
                .param("v", voucher.string("id")).query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void everyPathEndsAsTheSpecSays() throws Exception {
        String full = generate("3.00", null).string("code");
        assertThat(redeem("bob", full, null, Map.of("accountId", "bob-cny")).string("status")).isEqualTo("SUCCEEDED");

        Api.Response partial = redeem("carol", generate("3.00", null).string("code"), "1.25", Map.of("accountId", "carol-cny"));
        assertThat(partial.string("status")).isEqualTo("SUCCEEDED");
        assertThat(partial.string("amount")).isEqualTo("1.25");

        Api.Response external = redeem("carol", generate("2.00", null).string("code"), null,
                Map.of("externalAccount", Map.of("bank", "ICBC", "name", "Carol Chen", "number", "6222 0000")));
        assertThat(external.string("status")).isEqualTo("SUCCEEDED");

        Api.Response cancelled = generate("2.00", null);
        Api.Response cancel = api.send("POST", "/api/vouchers/" + cancelled.string("id") + "/cancel", tokens.get("alice"), null, null);
        assertThat(cancel.string("status")).isEqualTo("CANCELLED");
        assertThat(redeem("bob", cancelled.string("code"), null, Map.of("accountId", "bob-cny")).string("reason")).isEqualTo("CANCELLED");

        Api.Response expiring = generate("2.00", Instant.now().plusSeconds(3));
        await().atMost(Duration.ofSeconds(20)).until(() ->
                "EXPIRED".equals(api.send("GET", "/api/vouchers/" + expiring.string("id"), tokens.get("alice"), null, null).string("status")));
        assertThat(redeem("bob", expiring.string("code"), null, Map.of("accountId", "bob-cny")).string("reason")).isEqualTo("EXPIRED");

        Api.Response tooMuch = api.send("POST", "/api/vouchers", api.token("carol"), "wait=20",
                Map.of("accountId", "carol-cny", "amount", "999.00", "currency", "CNY"));
        assertThat(tooMuch.string("status")).isEqualTo("REJECTED");
        assertThat(tooMuch.string("reason")).isEqualTo("INSUFFICIENT_FUNDS");

        // A closed account named as the destination is refused before anything is published: the voucher stays.
        Api.Response failing = generate("2.00", null);
        setStatus("carol-cny", "CLOSED");
        try {
            Api.Response refused = redeem("carol", failing.string("code"), null, Map.of("accountId", "carol-cny"));
            assertThat(refused.status()).isEqualTo(422);
            assertThat(refused.string("code")).isEqualTo("ACCOUNT_NOT_ACTIVE");
        } finally {
            setStatus("carol-cny", "ACTIVE");
        }

        // The ledger refuses the transfer: the account is closed after the ingress found it open, while the ledger
        // waits for its row (held here), so the redemption fails and the whole hold is released.
        CompletableFuture<Api.Response> redemption;
        try (Connection closing = stack.database().dataSource().getConnection()) {
            closing.setAutoCommit(false);
            closing.createStatement().execute("SELECT 1 FROM accounts WHERE account_id = 'carol-cny' FOR UPDATE");
            redemption = CompletableFuture.supplyAsync(() ->
                    redeem("carol", failing.string("code"), null, Map.of("accountId", "carol-cny")));
            await("the ledger waits for carol's account").atMost(Duration.ofSeconds(20)).until(() ->
                    stack.database().jdbc().sql("SELECT count(*) FROM pg_locks WHERE NOT granted").query(Long.class).single() > 0);
            closing.createStatement().executeUpdate("UPDATE accounts SET status = 'CLOSED' WHERE account_id = 'carol-cny'");
            closing.commit();
        }
        try {
            Api.Response failed = redemption.get(30, TimeUnit.SECONDS);
            assertThat(failed.string("status")).isEqualTo("FAILED");
            assertThat(failed.string("reason")).isEqualTo("DESTINATION_NOT_ACTIVE");
        } finally {
            setStatus("carol-cny", "ACTIVE");
        }
        await("the failed voucher's hold is released").atMost(Duration.ofSeconds(20)).until(() ->
                stack.database().jdbc().sql("SELECT state FROM holds WHERE voucher_id = :v")
                        .param("v", failing.string("id")).query(String.class).single().equals("RELEASED"));
    }

    private void setStatus(String accountId, String status) {
        stack.database().jdbc().sql("UPDATE accounts SET status = :status WHERE account_id = :id")
                .param("status", status).param("id", accountId).update();
    }

    private Api.Response generate(String amount, Instant expiresAt) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("accountId", "alice-cny", "amount", amount, "currency", "CNY"));
        if (expiresAt != null) {
            body.put("expiresAt", expiresAt.toString());
        }
        Api.Response voucher = api.send("POST", "/api/vouchers", tokens.get("alice"), "wait=20", body);
        assertThat(voucher.string("status")).as(voucher.raw()).isEqualTo("UNUSED");
        return voucher;
    }

    private Api.Response redeem(String payee, String code, String amount, Map<String, Object> destination) {
        Map<String, Object> body = new java.util.HashMap<>(destination);
        body.put("code", code);
        if (amount != null) {
            body.put("amount", amount);
        }
        return api.send("POST", "/api/redemptions", tokens.get(payee), "wait=20", body);
    }
}
