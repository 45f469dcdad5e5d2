package io.qrvoucher.ingress.api;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.qrvoucher.ingress.RequestTraces;
import reactor.core.publisher.Mono;

/**
 * Names the trace of each request in its answer ({@code traceparent}, as the configured propagation
 * writes it), so that a client or an operator can quote it: the request's spans in every service, and
 * the log lines they wrote, carry its trace id. The trace itself is Spring's observation of the request,
 * which continues an incoming {@code traceparent}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class TraceResponses implements WebFilter {

    private final Tracer tracer;
    private final Propagator propagator;

    TraceResponses(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return Mono.deferContextual(context -> {
            Span request = RequestTraces.within(context, tracer::currentSpan);
            if (request != null) {
                propagator.inject(request.context(), exchange.getResponse().getHeaders(), HttpHeaders::set);
            }
            return chain.filter(exchange);
        });
    }
}
