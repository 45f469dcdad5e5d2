package io.qrvoucher.support.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

class InternalApiGuardTest {

    private static final String KEY = "aW50ZXJuYWwtYXBpLWtleS1vZi10aGUtZ3VhcmQtdGVzdHM=";
    private static final String OTHER_KEY = "YW5vdGhlci1pbnRlcm5hbC1hcGkta2V5LW9mLXRoZS10ZXN0cw==";
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    private final InternalApi internalApi = new InternalApi("k1", Map.of("k1", KEY), Duration.ofMinutes(1));
    private final InternalApi.Seals ingress = internalApi.seals(at(NOW));
    private final InternalApiGuard guard = new InternalApiGuard(internalApi.verifier(at(NOW)), JsonMapper.builder().build());

    @Test
    void aSealedCallPasses() {
        assertThat(passes(MockServerHttpRequest.get("/internal/vouchers/v-1?afterVersion=3")
                .header(InternalApi.HEADER, ingress.seal("GET", "/internal/vouchers/v-1?afterVersion=3")))).isTrue();
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
    }

    @Test
    void aSealIsGoodOnlyForItsMethodPathAndQuery() {
        String seal = ingress.seal("GET", "/internal/customers/alice/accounts");
        assertThat(passes(MockServerHttpRequest.get("/internal/customers/mallory/accounts").header(InternalApi.HEADER, seal)))
                .isFalse();
        assertThat(passes(MockServerHttpRequest.delete("/internal/customers/alice/accounts").header(InternalApi.HEADER, seal)))
                .isFalse();
        assertThat(passes(MockServerHttpRequest.get("/internal/customers/alice/accounts?all=true")
                .header(InternalApi.HEADER, seal))).isFalse();
    }

    @Test
    void aSealOutsideTheClockSkewIsRefused() {
        String old = internalApi.seals(at(NOW.minusSeconds(61))).seal("GET", "/internal/routing");
        String recent = internalApi.seals(at(NOW.minusSeconds(59))).seal("GET", "/internal/routing");
        String ahead = internalApi.seals(at(NOW.plusSeconds(61))).seal("GET", "/internal/routing");

        assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, old))).isFalse();
        assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, recent))).isTrue();
        assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, ahead))).isFalse();
    }

    @Test
    void aSealMadeWithAnotherKeyOrMangledIsRefused() {
        String foreign = new InternalApi("k1", Map.of("k1", OTHER_KEY), Duration.ofMinutes(1)).seals(at(NOW))
                .seal("GET", "/internal/routing");
        String genuine = ingress.seal("GET", "/internal/routing");
        for (String seal : new String[] {foreign, genuine.replace(" k1:", " k2:"), genuine.substring(0, genuine.indexOf(' ')),
                "soon " + genuine.substring(genuine.indexOf(' ') + 1), genuine.replace(":", ":%%")}) {
            assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, seal)))
                    .as(seal).isFalse();
        }
    }

    @Test
    void aRotatedKeyIsAcceptedBesideTheOldOne() {
        InternalApi rotating = new InternalApi("k2", Map.of("k1", KEY, "k2", OTHER_KEY), Duration.ofMinutes(1));
        InternalApiGuard both = new InternalApiGuard(rotating.verifier(at(NOW)), JsonMapper.builder().build());
        String sealedWithTheNewKey = rotating.seals(at(NOW)).seal("GET", "/internal/routing");

        assertThat(passes(both, MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, sealedWithTheNewKey)))
                .isTrue();
        assertThat(passes(both, MockServerHttpRequest.get("/internal/routing")
                .header(InternalApi.HEADER, ingress.seal("GET", "/internal/routing")))).isTrue();
        assertThat(passes(MockServerHttpRequest.get("/internal/routing").header(InternalApi.HEADER, sealedWithTheNewKey)))
                .isFalse();
    }

    @Test
    void noSpellingOfTheInternalPathGetsAroundTheGuard() {
        for (String path : new String[] {"/%69nternal/routing", "/internal;x=1/routing", "/internal"}) {
            // A URI, not a template: the request goes out exactly so spelt.
            assertThat(passes(MockServerHttpRequest.method(HttpMethod.GET, URI.create(path)))).as(path).isFalse();
        }
    }

    @Test
    void probesAndMetricsNeedNoSeal() {
        assertThat(passes(MockServerHttpRequest.get("/actuator/prometheus"))).isTrue();
        assertThat(passes(MockServerHttpRequest.get("/actuator/health/readiness"))).isTrue();
    }

    @Test
    void withoutAKeyEveryInternalCallIsRefused() {
        InternalApiGuard unconfigured = new InternalApiGuard(null, JsonMapper.builder().build());
        assertThat(passes(unconfigured, MockServerHttpRequest.get("/internal/routing")
                .header(InternalApi.HEADER, ingress.seal("GET", "/internal/routing")))).isFalse();
        assertThat(new InternalApi("k1", Map.of("k1", " "), Duration.ofMinutes(1)).configured()).isFalse();
    }

    private boolean passes(MockServerHttpRequest.BaseBuilder<?> request) {
        return passes(guard, request);
    }

    private static boolean passes(InternalApiGuard guard, MockServerHttpRequest.BaseBuilder<?> request) {
        AtomicBoolean reached = new AtomicBoolean();
        MockServerWebExchange exchange = MockServerWebExchange.from(request);
        guard.filter(exchange, served -> Mono.fromRunnable(() -> reached.set(true))).block();
        if (!reached.get()) {
            assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
        }
        return reached.get();
    }

    private static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }
}
