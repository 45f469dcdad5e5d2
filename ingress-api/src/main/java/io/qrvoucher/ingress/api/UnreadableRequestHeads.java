package io.qrvoucher.ingress.api;

import java.nio.charset.StandardCharsets;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.qrvoucher.support.Problems;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.ObjectMapper;

/**
 * Refuses the HTTP/1.1 requests Netty cannot read — a request line or headers past their limits
 * ({@code server.netty.max-initial-line-length}, {@code server.max-http-request-header-size}), or a head it cannot
 * parse — with problem details like every other refusal of this API. Reactor Netty answers them itself before any
 * handler runs (414, 431 or 400) with an empty body, which a client cannot tell from a proxy's; this handler, right
 * after the HTTP codec, answers first, with the same status, and closes the connection, as Reactor Netty does: the
 * rest of such a request is not read.
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
                channel.pipeline().addAfter(NettyPipeline.HttpCodec, HANDLER, new Refusing());
            }
        });
    }

    private final class Refusing extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            if (!(message instanceof HttpRequest request) || !request.decoderResult().isFailure()) {
                context.fireChannelRead(message);
                return;
            }
            Throwable cause = request.decoderResult().cause();
            ReferenceCountUtil.release(message);
            context.writeAndFlush(refusal(problemFor(cause))).addListener(ChannelFutureListener.CLOSE);
        }

        private FullHttpResponse refusal(ProblemDetail problem) {
            byte[] body = json.writeValueAsString(problem).getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(problem.getStatus()), Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, MediaType.APPLICATION_PROBLEM_JSON_VALUE)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return response;
        }
    }

    static ProblemDetail problemFor(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return Problems.problem(HttpStatus.URI_TOO_LONG, "URI_TOO_LONG",
                    "The request line is longer than this API reads: shorten the path or the query");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return Problems.problem(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "HEADERS_TOO_LARGE",
                    "The request's headers are larger than this API reads");
        }
        return Problems.problem(HttpStatus.BAD_REQUEST, "MALFORMED_REQUEST", "The request is not well-formed HTTP");
    }
}
