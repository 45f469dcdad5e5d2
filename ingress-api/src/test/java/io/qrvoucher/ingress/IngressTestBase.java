package io.qrvoucher.ingress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.qrvoucher.keys.TestKeys;

/**
 * The ingress on a random port in front of the real pipeline ({@link RealPipeline}). All test classes
 * share one application context, so the pipeline and the ingress start once.
 */
@SpringBootTest(classes = IngressApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "spring.config.name=ingress-api",
                // The ledger's JDBC starters are on this test classpath; the ingress itself has no database.
                "spring.autoconfigure.exclude=" + RealPipeline.NO_DATABASE,
                "ingress.security.issuer=" + ApiClient.ISSUER,
                "ingress.security.audience=" + ApiClient.AUDIENCE,
                "ingress.limits.wrong-codes-per-window=5",
                "ingress.limits.request-idle-timeout=" + IngressTestBase.REQUEST_IDLE_TIMEOUT,
                "management.tracing.sampling.probability=1.0"
        })
@Import({CapturedSpans.Export.class, CountedWebSessions.Manager.class})
@AutoConfigureWebTestClient(timeout = "60s")
public abstract class IngressTestBase {

    /** Short, so that a test of a body that stops arriving does not wait long; ample for a body sent on this host. */
    static final String REQUEST_IDLE_TIMEOUT = "3s";

    static final String CODE_SECRET = Base64.getEncoder().encodeToString("test-code-secret-of-at-least-256-bits!!".getBytes());
    /** Where the multipart parser keeps the parts beyond its memory, this test run's own. */
    static final Path MULTIPART_FILES = newTemporaryDirectory("ingress-test-multipart-");

    @DynamicPropertySource
    static void pipeline(DynamicPropertyRegistry registry) {
        RealPipeline pipeline = RealPipeline.start();
        registry.add("ingress.bootstrap-servers", pipeline::bootstrapServers);
        registry.add("ingress.voucher-streams.urls", pipeline::voucherStreamsUrl);
        registry.add("ingress.ledger.urls", pipeline::ledgerUrl);
        registry.add("ingress.webhooks.urls", pipeline::webhooksUrl);
        registry.add("ingress.code-secret", () -> CODE_SECRET);
        registry.add("ingress.request-signing.keys.k1", () -> RealPipeline.REQUEST_SIGNING_KEY);
        registry.add("internal-api.callees.voucher-streams.key", () -> TestKeys.VOUCHER_STREAMS_INTERNAL_KEY);
        registry.add("internal-api.callees.ledger-adapter.key", () -> TestKeys.LEDGER_ADAPTER_INTERNAL_KEY);
        registry.add("internal-api.callees.webhook-delivery.key", () -> TestKeys.WEBHOOK_DELIVERY_INTERNAL_KEY);
        registry.add("ingress.security.demo-token-secret", () -> Base64.getEncoder().encodeToString(ApiClient.TOKEN_KEY));
        registry.add("spring.webflux.multipart.file-storage-directory", MULTIPART_FILES::toString);
    }

    private static Path newTemporaryDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Autowired
    WebTestClient http;

    ApiClient alice;
    ApiClient bob;
    ApiClient carol;

    @BeforeEach
    void signIn() {
        alice = new ApiClient(http, "alice");
        bob = new ApiClient(http, "bob");
        carol = new ApiClient(http, "carol");
        // Most tests generate several vouchers in one sign-in; the step-up tests set their own policy.
        confirmOnlyTheFirstTime(alice);
        confirmOnlyTheFirstTime(bob);
    }

    private static void confirmOnlyTheFirstTime(ApiClient customer) {
        customer.put("/api/settings").bodyValue(Map.of("stepUpPolicy", "FIRST_TIME_ONLY"))
                .exchange().expectStatus().isOk().expectBody(Void.class);
    }

    /**
     * A customer of their own, signed in, with one CNY account of this balance (and the demo's daily limit, 50,000.00):
     * what it holds moves with the test that made it only.
     */
    ApiClient customerWith(long balanceMinor) {
        String customer = "payer-" + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, "CNY", balanceMinor, 50_000_00L);
        return new ApiClient(http, customer);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> body(WebTestClient.ResponseSpec response) {
        return response.expectBody(Map.class).returnResult().getResponseBody();
    }

    static String balanceOf(ApiClient customer) {
        return customer.get("/api/accounts").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }
}
