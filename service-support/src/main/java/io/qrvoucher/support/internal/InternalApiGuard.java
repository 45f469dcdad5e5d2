package io.qrvoucher.support.internal;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.qrvoucher.support.Problems;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Lets a call reach an internal API only with a seal that holds ({@link InternalApi}); any other is answered
 * 401 with problem details, before any handler runs. A path is internal by its first segment as the handlers
 * are matched by it (decoded, without matrix variables), so that no spelling of {@code /internal/…} gets
 * around the check; everything else on the port (the actuator's probes and metrics) is left alone.
 */
public final class InternalApiGuard implements WebFilter, Ordered {

    private static final String INTERNAL_SEGMENT = InternalApi.PATHS.replace("/", "");

    private final InternalApi.Seals seals;
    private final JsonMapper json;

    /** @param seals the configuration's seals; null where no key is configured, so that every internal call is refused */
    public InternalApiGuard(InternalApi.Seals seals, JsonMapper json) {
        this.seals = seals;
        this.json = json;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (!internal(request.getPath().pathWithinApplication())) {
            return chain.filter(exchange);
        }
        Optional<String> problem = seals == null
                ? Optional.of("No internal API key is configured on this service: it answers no internal call")
                : seals.problem(request.getMethod().name(), pathAndQuery(request),
                        request.getHeaders().getFirst(InternalApi.HEADER));
        return problem.isEmpty() ? chain.filter(exchange) : refuse(exchange, problem.get());
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 100;
    }

    /** The path and query as the caller sent them, undecoded: what the caller sealed. */
    public static String pathAndQuery(ServerHttpRequest request) {
        String query = request.getURI().getRawQuery();
        return request.getURI().getRawPath() + (query == null ? "" : "?" + query);
    }

    private static boolean internal(PathContainer path) {
        return path.elements().stream()
                .filter(element -> element instanceof PathContainer.PathSegment segment && !segment.valueToMatch().isEmpty())
                .findFirst()
                .map(segment -> ((PathContainer.PathSegment) segment).valueToMatch().equals(INTERNAL_SEGMENT))
                .orElse(false);
    }

    private Mono<Void> refuse(ServerWebExchange exchange, String detail) {
        ProblemDetail problem = Problems.problem(HttpStatus.UNAUTHORIZED, "UNAUTHENTICATED", detail);
        problem.setInstance(exchange.getRequest().getURI());
        exchange.getResponse().setStatusCode(HttpStatus.UNAUTHORIZED);
        exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "QrInternalSeal");
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        byte[] body = json.writeValueAsString(problem).getBytes(StandardCharsets.UTF_8);
        return exchange.getResponse().writeWith(Mono.just(exchange.getResponse().bufferFactory().wrap(body)));
    }
}
