package io.qrvoucher.ingress.api;

import java.nio.charset.StandardCharsets;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.qrvoucher.support.Problems;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.ObjectMapper;

/**
 * Gives the requests Netty cannot read — a request line or headers past their limits
 * ({@code server.netty.max-initial-line-length}, {@code server.max-http-request-header-size}), or a head it cannot
 * parse — problem details like every other refusal of this API. Reactor Netty answers them itself before any handler
 * runs (400, 414 or 431) and closes the connection, with an empty body a client cannot tell from a proxy's; this
 * handler, right after the HTTP codec, fills that answer in as it is written. Whether and when it is answered stays
 * Reactor Netty's: one pipelined behind a request not answered yet goes unanswered, the connection closed after that
 * request's answer. HTTP/1.1 only: the ingress serves no HTTP/2 (with h2c, or TLS and ALPN, the codec is set up
 * elsewhere and these answers stay empty).
 */
final class UnreadableRequestHeads implements NettyServerCustomizer {

    private static final String HANDLER = "qrvoucher.unreadableRequestHeads";

    private final ObjectMapper json;

    UnreadableRequestHeads(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public HttpServer apply(HttpServer server) {
        return server.doOnChannelInit((observer, channel, remoteAddress) -> {
            if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
                channel.pipeline().addAfter(NettyPipeline.HttpCodec, HANDLER, new ProblemBodies());
            }
        });
    }

    /** One a connection: the decoder reads nothing more on a connection once it failed, so there is one at most. */
    private final class ProblemBodies extends ChannelDuplexHandler {

        private ProblemDetail problem;

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            if (message instanceof HttpRequest request && request.decoderResult().isFailure()) {
                problem = problemFor(request.decoderResult().cause());
            }
            context.fireChannelRead(message);
        }

        @Override
        public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) {
            if (problem != null && message instanceof FullHttpResponse refusal
                    && refusal.status().code() == problem.getStatus() && !refusal.content().isReadable()) {
                byte[] body = json.writeValueAsString(problem).getBytes(StandardCharsets.UTF_8);
                problem = null;
                FullHttpResponse withProblem = refusal.replace(Unpooled.wrappedBuffer(body));
                refusal.release();
                withProblem.headers().set(HttpHeaderNames.CONTENT_TYPE, MediaType.APPLICATION_PROBLEM_JSON_VALUE)
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                context.write(withProblem, promise);
                return;
            }
            context.write(message, promise);
        }
    }

    /** The problem of a head the decoder failed on, with the status Reactor Netty answers it with. */
    private static ProblemDetail problemFor(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return Problems.problem(HttpStatus.URI_TOO_LONG, "URI_TOO_LONG",
                    "The request line is longer than this API reads");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return Problems.problem(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "HEADERS_TOO_LARGE",
                    "The request's headers are larger than this API reads");
        }
        return Problems.problem(HttpStatus.BAD_REQUEST, "MALFORMED_REQUEST", "The request is not well-formed HTTP");
    }
}
