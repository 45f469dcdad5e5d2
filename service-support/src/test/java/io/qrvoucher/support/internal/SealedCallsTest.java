package io.qrvoucher.support.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.client.reactive.MockClientHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.ExchangeStrategies;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** What a sealed call carries is what the guard lets through; a refused seal reaches the caller as 503. */
class SealedCallsTest {

    private static final String KEY = "aW50ZXJuYWwtYXBpLWtleS1vZi10aGUtc2VhbGVkLWNhbGxzLXRlc3Q=";

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final SealedCalls sealedCalls = new InternalApi(Map.of(), Map.of(InternalApi.WEBHOOK_DELIVERY,
            InternalApi.Callee.withKey(KEY)), Duration.ofMinutes(1)).sealedCalls(InternalApi.WEBHOOK_DELIVERY, meters);
    private final InternalApiGuard guard = new InternalApiGuard(InternalApi.withKey(KEY).verifier(Clock.systemUTC()),
            JsonMapper.builder().build(), new SimpleMeterRegistry());

    @Test
    void aCallWithABodyAndAnIdempotencyKeyIsSealedAsWrittenAndTheGuardReadsItsBody() {
        ClientRequest registration = ClientRequest.create(HttpMethod.POST,
                        URI.create("http://webhooks:8085/internal/customers/al%20ice/webhooks?x=a+b"))
                .header(InternalApi.IDEMPOTENCY_KEY_HEADER, "k-1")
                .body(BodyInserters.fromValue("{\"url\":\"https://shop.example/hooks\"}")).build();

        MockClientHttpRequest sent = send(registration);

        assertThat(sent.getHeaders().getFirst(InternalApi.BODY_DIGEST_HEADER)).isNotNull();
        assertThat(readBehindTheGuard(sent)).isEqualTo("{\"url\":\"https://shop.example/hooks\"}");
    }

    @Test
    void aCallWithoutABodyIsSealedToo() {
        MockClientHttpRequest sent = send(ClientRequest.create(HttpMethod.GET,
                URI.create("http://streams:8082/internal/vouchers/v-1?afterVersion=2&wait=PT20S")).build());

        assertThat(sent.getHeaders().getFirst(InternalApi.HEADER)).matches("\\d+ k1:[A-Za-z0-9_-]+");
        assertThat(sent.getHeaders().getFirst(InternalApi.BODY_DIGEST_HEADER)).isNull();
        assertThat(readBehindTheGuard(sent)).isEmpty();
    }

    @Test
    void aSealTheOtherServiceRefusesReachesTheCallerAs503AndIsCounted() {
        ExchangeFunction refusing = request -> Mono.just(ClientResponse.create(HttpStatus.UNAUTHORIZED).build());

        ClientResponse answer = sealedCalls.filter(ClientRequest.create(HttpMethod.GET,
                URI.create("http://ledger:8081/internal/customers/alice/accounts")).build(), refusing).block();

        assertThat(answer.statusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(meters.get("internal.api.seal.refused").tag("callee", InternalApi.WEBHOOK_DELIVERY).counter().count()).isEqualTo(1.0);
    }

    /** The request as the filter lets it go on the wire: its body written, its headers set. */
    private MockClientHttpRequest send(ClientRequest request) {
        AtomicReference<MockClientHttpRequest> wire = new AtomicReference<>();
        ExchangeFunction toTheWire = sealed -> {
            MockClientHttpRequest message = new MockClientHttpRequest(sealed.method(), sealed.url());
            wire.set(message);
            return sealed.writeTo(message, ExchangeStrategies.withDefaults())
                    .then(Mono.just(ClientResponse.create(HttpStatus.OK).build()));
        };
        sealedCalls.filter(request, toTheWire).block(Duration.ofSeconds(5));
        return wire.get();
    }

    /** The body the handler reads behind the guard, of the request as it went on the wire; fails if refused. */
    private String readBehindTheGuard(MockClientHttpRequest sent) {
        String body = sent.getBodyAsString().block(Duration.ofSeconds(5));
        MockServerHttpRequest.BodyBuilder arrived = MockServerHttpRequest.method(sent.getMethod(), sent.getURI());
        sent.getHeaders().forEach((name, values) -> arrived.header(name, values.toArray(String[]::new)));
        MockServerWebExchange exchange = MockServerWebExchange.from(arrived.body(body == null ? "" : body));
        StringBuilder read = new StringBuilder();
        guard.filter(exchange, served -> DataBufferUtils.join(served.getRequest().getBody())
                .doOnNext(joined -> read.append(joined.toString(StandardCharsets.UTF_8))).then()).block(Duration.ofSeconds(5));
        assertThat(exchange.getResponse().getStatusCode()).as("not refused by the guard").isNull();
        return read.toString();
    }
}
