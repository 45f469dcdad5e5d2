package io.qrvoucher.support;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/** Writes a refusal as RFC 9457 problem details where no controller runs: in web filters and security handlers. */
public final class ProblemResponses {

    private ProblemResponses() {
    }

    /** One header, read-only: for a refusal's headers kept in a constant and sent with every such refusal. */
    public static HttpHeaders header(String name, String value) {
        HttpHeaders headers = new HttpHeaders();
        headers.set(name, value);
        return HttpHeaders.readOnlyHttpHeaders(headers);
    }

    /**
     * Writes the problem with the headers. No exception is made for it: a refusal can be made often (under overload,
     * at every request refused), and an exception's stack trace was half of what such a refusal cost.
     */
    public static Mono<Void> write(ServerWebExchange exchange, ObjectMapper json, ProblemDetail problem,
                                   HttpHeaders headers) {
        // The path, as the controllers' refusals give it: not the host a client named, nor the query.
        problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
        byte[] body = json.writeValueAsString(problem).getBytes(StandardCharsets.UTF_8);
        exchange.getResponse().setStatusCode(HttpStatusCode.valueOf(problem.getStatus()));
        exchange.getResponse().getHeaders().addAll(headers);
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        DataBuffer buffer = exchange.getResponse().bufferFactory().wrap(body);
        return exchange.getResponse().writeWith(Mono.just(buffer));
    }
}
