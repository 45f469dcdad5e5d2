package io.qrvoucher.ingress.api;

import java.nio.charset.StandardCharsets;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/** Writes a refusal as RFC 9457 problem details where no controller runs: in web filters and security handlers. */
public final class ProblemResponses {

    private ProblemResponses() {
    }

    public static Mono<Void> write(ServerWebExchange exchange, ObjectMapper json, ApiException refusal) {
        ProblemDetail problem = refusal.getBody();
        problem.setInstance(exchange.getRequest().getURI());
        byte[] body = json.writeValueAsString(problem).getBytes(StandardCharsets.UTF_8);
        exchange.getResponse().setStatusCode(refusal.getStatusCode());
        exchange.getResponse().getHeaders().addAll(refusal.getHeaders());
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        DataBuffer buffer = exchange.getResponse().bufferFactory().wrap(body);
        return exchange.getResponse().writeWith(Mono.just(buffer));
    }
}
