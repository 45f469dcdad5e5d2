package io.qrvoucher.ingress.api;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/**
 * Takes at most {@code ingress.limits.max-in-flight-writes} generations at once, and a quarter more requests
 * that finish vouchers already generated (redeem, cancel), and refuses the next at once — 503
 * {@code OVERLOADED} with {@code Retry-After}, before anything is published — so that what the ingress
 * accepts it can see through, instead of accepting more than the pipeline drains and letting every request
 * time out. The quarter is kept for finishing: under overload a refused generation costs nothing, but a
 * refused redemption wastes the generation before it and leaves the payer's money held. Reads and waits on
 * vouchers already accepted are not limited here.
 */
final class AdmissionControl implements WebFilter, Ordered {

    private static final HttpHeaders RETRY_IN_A_SECOND = HttpHeaders.readOnlyHttpHeaders(retryAfterOneSecond());

    private final int maxGenerations;
    private final int maxInFlight;
    private final ObjectMapper json;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter refused;

    /** @param maxGenerations generations in flight at most; with redemptions and cancellations a quarter more */
    AdmissionControl(int maxGenerations, ObjectMapper json, MeterRegistry meters) {
        this.maxGenerations = maxGenerations;
        this.maxInFlight = maxGenerations + Math.max(1, maxGenerations / 4);
        this.json = json;
        Gauge.builder("ingress.writes.in.flight", inFlight, AtomicInteger::get)
                .description("Requests that publish, being handled").register(meters);
        this.refused = Counter.builder("ingress.writes.refused")
                .description("Requests that publish, refused at once because too many were in flight").register(meters);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!publishes(exchange)) {
            return chain.filter(exchange);
        }
        if (inFlight.incrementAndGet() > (generates(exchange) ? maxGenerations : maxInFlight)) {
            inFlight.decrementAndGet();
            refused.increment();
            return ProblemResponses.write(exchange, json, ApiException.problem(HttpStatus.SERVICE_UNAVAILABLE,
                    "OVERLOADED", "Too many requests are being handled; nothing was recorded. Retry it in a moment."),
                    RETRY_IN_A_SECOND);
        }
        // Released as the answer starts, not after it is written: a client that sends its next request as soon
        // as it has the answer must find the place free, or a closed loop of exactly the limit is refused.
        AtomicBoolean held = new AtomicBoolean(true);
        Runnable release = () -> {
            if (held.getAndSet(false)) {
                inFlight.decrementAndGet();
            }
        };
        exchange.getResponse().beforeCommit(() -> Mono.fromRunnable(release));
        return chain.filter(exchange).doFinally(signal -> release.run());
    }

    private static HttpHeaders retryAfterOneSecond() {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, "1");
        return headers;
    }

    private static boolean publishes(ServerWebExchange exchange) {
        String path = exchange.getRequest().getPath().value();
        return exchange.getRequest().getMethod() == HttpMethod.POST
                && (path.startsWith("/api/vouchers") || path.startsWith("/api/redemptions"));
    }

    /** A new voucher: work that may wait, where a redemption or a cancellation finishes work already done. */
    private static boolean generates(ServerWebExchange exchange) {
        String path = exchange.getRequest().getPath().value();
        return path.equals("/api/vouchers") || path.equals("/api/vouchers/");
    }

    /** Before security: an overloaded ingress does not even check tokens of what it will refuse. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 1;
    }
}
