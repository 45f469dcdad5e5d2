package io.qrvoucher.ingress.api;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.qrvoucher.support.TraceContext;
import reactor.core.publisher.Mono;

/**
 * Starts or continues the W3C trace of each HTTP request: a valid incoming {@code traceparent} is
 * continued, anything else starts a new trace. The context rides in the reactive context to every
 * record the request publishes, and the response names it, so a client can quote it.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class TraceFilter implements WebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String trace = TraceContext.parse(exchange.getRequest().getHeaders().getFirst(TraceContext.HEADER))
                .map(TraceContext::childOf)
                .orElseGet(TraceContext::newTrace);
        exchange.getResponse().getHeaders().set(TraceContext.HEADER, trace);
        return chain.filter(exchange).contextWrite(context -> context.put(TraceContext.HEADER, trace));
    }
}
