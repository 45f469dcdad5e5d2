package io.qrvoucher.ingress.api;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Ends a request whose body stops arriving ({@code ingress.limits.request-idle-timeout}) or takes too long in all
 * ({@code request-timeout}) once it is read: a body that never comes — a phone that lost its signal mid-upload, or a
 * client doing it on purpose — held its connection and, while a write took its admission place before its body was
 * read, that place, until the process ended. The body fails with {@link BodyTimedOut} (answered 408, the connection
 * closed after the answer).
 * <p>
 * Timed from when the handler reads the body, not from the headers: a picture's request makes its checks (the limits'
 * counts) before it reads the picture, and Netty's read timeout, counting that time too with nothing read meanwhile,
 * ended such requests without an answer.
 */
final class BodyTimeouts implements WebFilter, Ordered {

    /** The body stopped arriving, or came too slowly: the client's connection, not the request's content. */
    static final class BodyTimedOut extends RuntimeException {
        BodyTimedOut(String message) {
            super(message, null, false, false);
        }
    }

    private final Duration idle;
    private final Duration total;

    BodyTimeouts(Duration idle, Duration total) {
        this.idle = idle;
        this.total = total;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return chain.filter(exchange.mutate().request(new Timed(exchange.getRequest(), exchange.getResponse())).build());
    }

    /** Before admission control, beside the upload bound: whatever reads the body reads it timed. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 1;
    }

    private final class Timed extends ServerHttpRequestDecorator {

        private final ServerHttpResponse response;

        Timed(ServerHttpRequest delegate, ServerHttpResponse response) {
            super(delegate);
            this.response = response;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            return Flux.defer(() -> {
                long deadline = System.nanoTime() + total.toNanos();
                return super.getBody()
                        .timeout(idle)
                        // A chunk that comes as the timer fires is dropped by the timeout: given back, not leaked.
                        .contextWrite(context -> context.put("reactor.onNextDropped.local",
                                (Consumer<Object>) dropped -> {
                                    if (dropped instanceof DataBuffer buffer) {
                                        DataBufferUtils.release(buffer);
                                    }
                                }))
                        .<DataBuffer>handle((buffer, sink) -> {
                            if (System.nanoTime() - deadline > 0) {
                                DataBufferUtils.release(buffer);
                                sink.error(timedOut("took longer than " + total + " in all"));
                            } else {
                                sink.next(buffer);
                            }
                        })
                        .onErrorMap(TimeoutException.class, stopped -> timedOut("stopped arriving for " + idle));
            });
        }

        private BodyTimedOut timedOut(String how) {
            // The rest of the body may never come: not kept for the next request.
            if (!response.isCommitted()) {
                response.getHeaders().setConnection("close");
            }
            return new BodyTimedOut("The request's body " + how);
        }
    }
}
