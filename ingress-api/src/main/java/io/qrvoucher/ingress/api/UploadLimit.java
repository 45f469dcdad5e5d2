package io.qrvoucher.ingress.api;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.qrvoucher.support.ProblemResponses;
import io.qrvoucher.support.Problems;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/**
 * Bounds a multipart upload (a QR picture and its form) before the multipart parser sees it: a declared length over
 * the bound is refused 413 at once, its body unread; a body without one fails with 413 as its bytes pass the bound.
 * Either way the connection is closed after the answer, the rest of the body unread. The parser's own per-part disk
 * limit is not relied on: when it is crossed, the parser leaves network buffers unreleased (measured: five lost in
 * ten such uploads), which a client sending large pictures again and again would turn into direct memory never given
 * back.
 *
 * <p>A request whose Content-Type cannot be read is refused 415 here, the first filter to read it.
 *
 * <p>The bound holds for the body as a controller's {@code @RequestBody} reads it, as the picture endpoints do;
 * {@code ServerWebExchange.getMultipartData()} ({@code @RequestPart}, a form's CSRF token) would read the request
 * unbounded.
 */
final class UploadLimit implements WebFilter, Ordered {

    /** Beside the picture: the form's other fields, part headers and boundaries. */
    static final long FORM_ROOM = 64 * 1024;

    private static final HttpHeaders CLOSE = ProblemResponses.header(HttpHeaders.CONNECTION, "close");

    private final long maxBytes;
    private final ObjectMapper json;

    UploadLimit(long maxPictureBytes, ObjectMapper json) {
        this.maxBytes = maxPictureBytes + FORM_ROOM;
        this.json = json;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        MediaType type;
        try {
            type = request.getHeaders().getContentType();
        } catch (InvalidMediaTypeException unreadable) {
            // Read here first, so refused here: past this filter it would fail whatever reads it, as a 500.
            return ProblemResponses.write(exchange, json, Problems.problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "UNSUPPORTED_MEDIA_TYPE", "The Content-Type header cannot be read: " + unreadable.getMessage()),
                    HttpHeaders.EMPTY);
        }
        if (!MediaType.MULTIPART_FORM_DATA.isCompatibleWith(type)) {
            return chain.filter(exchange);
        }
        if (request.getHeaders().getContentLength() > maxBytes) {
            return ProblemResponses.write(exchange, json, Problems.problem(HttpStatus.CONTENT_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE", tooLarge()), CLOSE);
        }
        return chain.filter(exchange.mutate().request(new Bounded(request, exchange.getResponse())).build());
    }

    /** Before admission control (an upload refused for its size takes no place), after the trace's filter. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 1;
    }

    private String tooLarge() {
        return "A picture upload may be at most " + maxBytes + " bytes, the form included";
    }

    /**
     * The request whose body ends with {@link DataBufferLimitException} (a 413) once it passes the bound; its connection
     * is then closed after the answer rather than kept to read the rest, which may not end.
     */
    private final class Bounded extends ServerHttpRequestDecorator {

        private final ServerHttpResponse response;

        Bounded(ServerHttpRequest delegate, ServerHttpResponse response) {
            super(delegate);
            this.response = response;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            return Flux.defer(() -> {
                long[] read = {0};
                return super.getBody().handle((buffer, sink) -> {
                    read[0] += buffer.readableByteCount();
                    if (read[0] > maxBytes) {
                        DataBufferUtils.release(buffer);
                        if (!response.isCommitted()) {
                            response.getHeaders().setConnection("close");
                        }
                        sink.error(new DataBufferLimitException(tooLarge()));
                    } else {
                        sink.next(buffer);
                    }
                });
            });
        }
    }
}
