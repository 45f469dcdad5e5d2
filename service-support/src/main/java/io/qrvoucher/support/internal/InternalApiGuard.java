package io.qrvoucher.support.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.support.ProblemResponses;
import io.qrvoucher.support.Problems;
import io.qrvoucher.support.internal.InternalApi.Call;
import io.qrvoucher.support.internal.InternalApi.Problem;
import io.qrvoucher.support.internal.InternalApi.Refusal;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Lets a call reach an internal API only with a seal that holds ({@link InternalApi}); any other is answered
 * 401 with problem details, before any handler runs, counted by reason ({@code internal.api.calls.refused}) and
 * logged at most every ten seconds. A path is internal by its first segment as the handlers are matched by it
 * (decoded, without matrix variables), so that no spelling of {@code /internal/…} gets around the check;
 * everything else on the port (the actuator's probes and metrics) is left alone. A sealed call's body is checked
 * against the digest sealed with it as it is read: one that differs fails the handler's read (401) before the
 * handler has it.
 */
public final class InternalApiGuard implements WebFilter, Ordered {

    private static final Logger log = LoggerFactory.getLogger(InternalApiGuard.class);
    private static final String EMPTY_BODY = InternalApi.bodyDigest(new byte[0]);
    /** The headers a call is sealed with, or whose value the seal covers. */
    private static final List<String> SEALED_HEADERS = List.of(InternalApi.HEADER, InternalApi.BODY_DIGEST_HEADER,
            InternalApi.IDEMPOTENCY_KEY_HEADER);
    private static final HttpHeaders SEAL_CHALLENGE = ProblemResponses.header(HttpHeaders.WWW_AUTHENTICATE,
            "QrInternalSeal");

    private final InternalApi.Seals seals;
    private final JsonMapper json;
    private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);
    private final LogThrottle logThrottle = new LogThrottle();

    /** @param seals the configuration's seals; null where no key is configured, so that every internal call is refused */
    public InternalApiGuard(InternalApi.Seals seals, JsonMapper json, MeterRegistry meters) {
        this.seals = seals;
        this.json = json;
        for (Refusal refusal : Refusal.values()) {
            refused.put(refusal, Counter.builder("internal.api.calls.refused").tag("reason", refusal.name())
                    .description("Calls to an internal API refused for their seal").register(meters));
        }
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (!internal(request.getPath().pathWithinApplication())) {
            return chain.filter(exchange);
        }
        HttpHeaders headers = request.getHeaders();
        // Header lines, not values split at commas: a customer's Idempotency-Key may hold a comma.
        Optional<String> repeated = SEALED_HEADERS.stream()
                .filter(name -> headers.get(name) != null && headers.get(name).size() > 1).findFirst();
        if (repeated.isPresent()) {
            // Only the first value is sealed, while a handler reads them all (joined by commas): a second one added
            // to a call replayed within its time would make it another call.
            return refuse(exchange, new Problem(Refusal.MALFORMED, "The call carries " + repeated.get()
                    + " more than once: an internal call carries each header it is sealed with once"));
        }
        Call call = new Call(request.getMethod().name(), InternalApi.pathAndQuery(request.getURI()),
                headers.getFirst(InternalApi.IDEMPOTENCY_KEY_HEADER), headers.getFirst(InternalApi.BODY_DIGEST_HEADER));
        Optional<Problem> problem = seals == null
                ? Optional.of(new Problem(Refusal.NO_KEY, "No internal API key is configured on this service: it answers no internal call"))
                : seals.problem(call, headers.getFirst(InternalApi.HEADER));
        if (problem.isPresent()) {
            return refuse(exchange, problem.get());
        }
        String sealedBody = call.bodyDigest() == null ? EMPTY_BODY : call.bodyDigest();
        return chain.filter(exchange.mutate().request(new CheckedBody(request, sealedBody)).build());
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 100;
    }

    private static boolean internal(PathContainer path) {
        return path.elements().stream()
                .filter(element -> element instanceof PathContainer.PathSegment segment && !segment.valueToMatch().isEmpty())
                .findFirst()
                .map(segment -> ((PathContainer.PathSegment) segment).valueToMatch().equals(InternalApi.SEGMENT))
                .orElse(false);
    }

    private Mono<Void> refuse(ServerWebExchange exchange, Problem refusal) {
        refused.get(refusal.refusal()).increment();
        if (logThrottle.due()) {
            log.warn("Refused an internal call ({}) to {} {} from {}: {} (logged at most every 10 s; "
                            + "internal_api_calls_refused_total counts them all)", refusal.refusal(),
                    exchange.getRequest().getMethod(), exchange.getRequest().getPath(),
                    exchange.getRequest().getRemoteAddress(), refusal.detail());
        }
        return ProblemResponses.write(exchange, json,
                Problems.problem(HttpStatus.UNAUTHORIZED, "UNAUTHENTICATED", refusal.detail()), SEAL_CHALLENGE);
    }

    /** The request, whose body fails its read at the end unless it is the one sealed. */
    private static final class CheckedBody extends ServerHttpRequestDecorator {

        private final String sealedDigest;

        CheckedBody(ServerHttpRequest request, String sealedDigest) {
            super(request);
            this.sealedDigest = sealedDigest;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            return Flux.defer(() -> {
                MessageDigest digest = InternalApi.sha256();
                return super.getBody()
                        .doOnNext(buffer -> InternalApi.update(digest, buffer))
                        .concatWith(Mono.defer(() -> MessageDigest.isEqual(
                                InternalApi.bodyDigestOf(digest).getBytes(StandardCharsets.US_ASCII),
                                sealedDigest.getBytes(StandardCharsets.US_ASCII)) ? Mono.empty()
                                : Mono.error(new ResponseStatusException(HttpStatus.UNAUTHORIZED,
                                "The call's body is not the one its " + InternalApi.HEADER + " sealed"))));
            });
        }
    }
}
