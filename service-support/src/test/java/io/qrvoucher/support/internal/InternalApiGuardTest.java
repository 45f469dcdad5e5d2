package io.qrvoucher.support.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ResponseStatusException;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

class InternalApiGuardTest {

    private static final String KEY = "aW50ZXJuYWwtYXBpLWtleS1vZi10aGUtZ3VhcmQtdGVzdHM=";
    private static final String OTHER_KEY = "YW5vdGhlci1pbnRlcm5hbC1hcGkta2V5LW9mLXRoZS10ZXN0cw==";
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final InternalApi internalApi = InternalApi.withKey(KEY);
    private final InternalApi.Callee callee = InternalApi.Callee.withKey(KEY);
    private final InternalApi.Seals ingress = callee.seals(at(NOW));
    private final InternalApiGuard guard = new InternalApiGuard(internalApi.verifier(at(NOW)), JsonMapper.builder().build(), meters);

    @Test
    void aSealedCallPasses() {
        assertThat(passes(MockServerHttpRequest.get("/internal/vouchers/v-1?afterVersion=3")
                .header(InternalApi.HEADER, ingress.seal(call("GET", "/internal/vouchers/v-1?afterVersion=3"))))).isTrue();
    }

    @Test
    void aCallWithoutASealIsRefusedWithProblemDetails() {
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/internal/vouchers/v-1"));
        AtomicBoolean reached = new AtomicBoolean();
        guard.filter(exchange, served -> Mono.fromRunnable(() -> reached.set(true))).block();

        assertThat(reached).isFalse();
        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(exchange.getResponse().getHeaders().getContentType()).hasToString("application/problem+json");
        assertThat(exchange.getResponse().getBodyAsString().block()).contains("\"code\":\"UNAUTHENTICATED\"")
                .contains("qr-internal-seal");
        assertThat(meters.get("internal.api.calls.refused").tag("reason", "NO_SEAL").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aSealIsGoodOnlyForItsMethodPathAndQuery() {
        String seal = ingress.seal(call("GET", "/internal/customers/alice/accounts"));
        assertThat(passes(MockServerHttpRequest.get("/internal/customers/mallory/accounts").header(InternalApi.HEADER, seal)))
                .isFalse();
        assertThat(passes(MockServerHttpRequest.delete("/internal/customers/alice/accounts").header(InternalApi.HEADER, seal)))
                .isFalse();
        assertThat(passes(MockServerHttpRequest.get("/internal/customers/alice/accounts?all=true")
                .header(InternalApi.HEADER, seal))).isFalse();
    }

    @Test
    void aSealOutsideTheClockSkewIsRefused() {
        String old = callee.seals(at(NOW.minusSeconds(61))).seal(call("GET", "/internal/routing"));
        String recent = callee.seals(at(NOW.minusSeconds(59))).seal(call("GET", "/internal/routing"));
        String ahead = callee.seals(at(NOW.plusSeconds(61))).seal(call("GET", "/internal/routing"));

        assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, old))).isFalse();
        assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, recent))).isTrue();
        assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, ahead))).isFalse();
    }

    @Test
    void aSealMadeWithAnotherKeyOrMangledIsRefused() {
        String foreign = InternalApi.Callee.withKey(OTHER_KEY).seals(at(NOW)).seal(call("GET", "/internal/routing"));
        String genuine = ingress.seal(call("GET", "/internal/routing"));
        for (String seal : new String[] {foreign, genuine.replace(" k1:", " k2:"), genuine.substring(0, genuine.indexOf(' ')),
                "soon " + genuine.substring(genuine.indexOf(' ') + 1), genuine.replace(":", ":%%")}) {
            assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, seal)))
                    .as(seal).isFalse();
        }
    }

    @Test
    void aSealIsGoodOnlyForItsIdempotencyKeyAndBody() {
        String body = "{\"url\":\"https://shop.example/hooks\"}";
        String digest = InternalApi.bodyDigest(body.getBytes(StandardCharsets.UTF_8));
        String seal = ingress.seal(new InternalApi.Call("POST", "/internal/customers/alice/webhooks", "k-1", digest));

        assertThat(bodyRead(seal, "k-1", digest, body)).as("the call as sealed").isEqualTo(body);
        assertThat(passes(registration(seal, "k-2", digest, body))).as("another Idempotency-Key").isFalse();
        assertThat(passes(registration(seal, "k-1", InternalApi.bodyDigest(new byte[1]), body))).as("another digest")
                .isFalse();
        String otherBody = "{\"url\":\"https://thief.example/hooks\"}";
        assertThatThrownBy(() -> bodyRead(seal, "k-1", digest, otherBody)).as("the sealed digest with another body")
                .isInstanceOf(ResponseStatusException.class).hasMessageContaining("not the one");
        String sealedWithoutBody = ingress.seal(new InternalApi.Call("POST", "/internal/customers/alice/webhooks", "k-1", null));
        assertThatThrownBy(() -> bodyRead(sealedWithoutBody, "k-1", null, body)).as("a body added to a call sealed without")
                .isInstanceOf(ResponseStatusException.class);
    }

    /**
     * Only the first value of a header is sealed, but a handler reads every value (joined by commas): a replay within
     * the seal's time with a second Idempotency-Key added would be another call to the handler.
     */
    @Test
    void aSealedHeaderSentTwiceIsRefused() {
        String body = "{\"url\":\"https://shop.example/hooks\"}";
        String digest = InternalApi.bodyDigest(body.getBytes(StandardCharsets.UTF_8));
        String seal = ingress.seal(new InternalApi.Call("POST", "/internal/customers/alice/webhooks", "k-1", digest));

        assertThat(passes(MockServerHttpRequest.post("/internal/customers/alice/webhooks").header(InternalApi.HEADER, seal)
                .header(InternalApi.IDEMPOTENCY_KEY_HEADER, "k-1", "k-2").header(InternalApi.BODY_DIGEST_HEADER, digest)
                .body(body))).as("a second Idempotency-Key").isFalse();
        assertThat(passes(MockServerHttpRequest.post("/internal/customers/alice/webhooks").header(InternalApi.HEADER, seal)
                .header(InternalApi.IDEMPOTENCY_KEY_HEADER, "k-1").header(InternalApi.BODY_DIGEST_HEADER, digest, digest)
                .body(body))).as("a second digest").isFalse();
        assertThat(passes(MockServerHttpRequest.post("/internal/customers/alice/webhooks").header(InternalApi.HEADER, seal, seal)
                .header(InternalApi.IDEMPOTENCY_KEY_HEADER, "k-1").header(InternalApi.BODY_DIGEST_HEADER, digest)
                .body(body))).as("a second seal").isFalse();
        assertThat(meters.get("internal.api.calls.refused").tag("reason", "MALFORMED").counter().count()).isEqualTo(3.0);

        String withAComma = ingress.seal(new InternalApi.Call("POST", "/internal/customers/alice/webhooks", "k,1", digest));
        assertThat(passes(MockServerHttpRequest.post("/internal/customers/alice/webhooks").header(InternalApi.HEADER, withAComma)
                .header(InternalApi.IDEMPOTENCY_KEY_HEADER, "k,1").header(InternalApi.BODY_DIGEST_HEADER, digest)
                .body(body))).as("one key holding a comma").isTrue();
    }

    /** The body as the handler reads it, behind the guard. */
    private String bodyRead(String seal, String idempotencyKey, String digest, String body) {
        StringBuilder read = new StringBuilder();
        guard.filter(MockServerWebExchange.from(registration(seal, idempotencyKey, digest, body)),
                served -> DataBufferUtils.join(served.getRequest().getBody())
                        .doOnNext(joined -> read.append(joined.toString(StandardCharsets.UTF_8))).then())
                .block();
        return read.toString();
    }

    private static MockServerHttpRequest registration(String seal, String idempotencyKey, String digest, String body) {
        MockServerHttpRequest.BodyBuilder request = MockServerHttpRequest.post("/internal/customers/alice/webhooks")
                .header(InternalApi.HEADER, seal).header(InternalApi.IDEMPOTENCY_KEY_HEADER, idempotencyKey);
        if (digest != null) {
            request.header(InternalApi.BODY_DIGEST_HEADER, digest);
        }
        return request.body(body);
    }

    @Test
    void aRotatedKeyIsAcceptedBesideTheOldOne() {
        InternalApi rotating = new InternalApi(Map.of("k1", KEY, "k2", OTHER_KEY), Map.of(), Duration.ofMinutes(1));
        InternalApiGuard both = new InternalApiGuard(rotating.verifier(at(NOW)), JsonMapper.builder().build(), new SimpleMeterRegistry());
        String sealedWithTheNewKey = new InternalApi.Callee("k2", OTHER_KEY).seals(at(NOW)).seal(call("GET", "/internal/routing"));

        assertThat(passes(both, MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, sealedWithTheNewKey)))
                .isTrue();
        assertThat(passes(both, MockServerHttpRequest.get("/internal/routing")
                .header(InternalApi.HEADER, ingress.seal(call("GET", "/internal/routing"))))).isTrue();
        assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, sealedWithTheNewKey)))
                .isFalse();
    }

    @Test
    void noSpellingOfTheInternalPathGetsAroundTheGuard() {
        for (String path : new String[] {"/%69nternal/routing", "/internal;x=1/routing", "/internal", "/internal/",
                "//internal/routing", "/internal/routing/"}) {
            // A URI, not a template: the request goes out exactly so spelt.
            assertThat(passes(MockServerHttpRequest.method(HttpMethod.GET, URI.create("http://localhost:8082" + path))))
                    .as(path).isFalse();
        }
    }

    @Test
    void probesAndMetricsNeedNoSeal() {
        assertThat(passes(MockServerHttpRequest.get("/actuator/prometheus"))).isTrue();
        assertThat(passes(MockServerHttpRequest.get("/actuator/health/readiness"))).isTrue();
    }

    @Test
    void withoutAKeyEveryInternalCallIsRefused() {
        InternalApiGuard unconfigured = new InternalApiGuard(null, JsonMapper.builder().build(), new SimpleMeterRegistry());
        assertThat(passes(unconfigured, MockServerHttpRequest.get("/internal/routing")
                .header(InternalApi.HEADER, ingress.seal(call("GET", "/internal/routing"))))).isFalse();
        assertThat(new InternalApi(Map.of("k1", " "), Map.of(), Duration.ofMinutes(1)).configured()).isFalse();
    }

    @Test
    void aServiceRefusesCallsSealedWithAnotherServicesKey() {
        // The ingress holds every service's key; a service holds only its own, so it cannot call the others.
        InternalApi ingressConfiguration = new InternalApi(Map.of(), Map.of(
                InternalApi.LEDGER_ADAPTER, InternalApi.Callee.withKey(KEY),
                InternalApi.WEBHOOK_DELIVERY, InternalApi.Callee.withKey(OTHER_KEY)), Duration.ofMinutes(1));
        String sealedForTheLedger = ingressConfiguration.callee(InternalApi.LEDGER_ADAPTER).seals(at(NOW))
                .seal(call("GET", "/internal/customers/alice/accounts"));
        String sealedByWebhookDelivery = InternalApi.Callee.withKey(OTHER_KEY).seals(at(NOW))
                .seal(call("GET", "/internal/customers/alice/accounts"));

        assertThat(passes(MockServerHttpRequest.get("/internal/customers/alice/accounts")
                .header(InternalApi.HEADER, sealedForTheLedger))).isTrue();
        assertThat(passes(MockServerHttpRequest.get("/internal/customers/alice/accounts")
                .header(InternalApi.HEADER, sealedByWebhookDelivery))).isFalse();
        assertThatThrownBy(() -> ingressConfiguration.callee(InternalApi.VOUCHER_STREAMS))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("internal-api.callees.voucher-streams.key")
                .hasMessageContaining("INTERNAL_API_KEY_VOUCHER_STREAMS");
    }

    private boolean passes(MockServerHttpRequest.BaseBuilder<?> request) {
        return passes(guard, request.build());
    }

    private boolean passes(MockServerHttpRequest request) {
        return passes(guard, request);
    }

    private static boolean passes(InternalApiGuard guard, MockServerHttpRequest.BaseBuilder<?> request) {
        return passes(guard, request.build());
    }

    private static boolean passes(InternalApiGuard guard, MockServerHttpRequest request) {
        AtomicBoolean reached = new AtomicBoolean();
        MockServerWebExchange exchange = MockServerWebExchange.from(request);
        guard.filter(exchange, served -> Mono.fromRunnable(() -> reached.set(true))).block();
        if (!reached.get()) {
            assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
        }
        return reached.get();
    }

    private static InternalApi.Call call(String method, String pathAndQuery) {
        return new InternalApi.Call(method, pathAndQuery, null, null);
    }

    private static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }
}
