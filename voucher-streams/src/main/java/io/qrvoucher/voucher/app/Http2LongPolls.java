package io.qrvoucher.voucher.app;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;

import reactor.netty.http.server.HttpServer;

/**
 * The ingress's live status long polls share HTTP/2 connections to this instance (h2c), and each poll of a stream
 * its client left is cancelled with a reset of its HTTP/2 stream. Netty's guard against floods of resets closes a
 * connection past 200 of them in 30 s, and with it the long polls of up to a hundred other customers: a page that
 * follows a new set of vouchers every few seconds (a till issuing vouchers) reached that. Only the ingress reaches
 * this port, with its seal; the bound stays, far above what it sends.
 */
final class Http2LongPolls implements NettyServerCustomizer {

    /** Resets of streams one connection may send in {@link #WINDOW_SECONDS}. */
    static final int RESETS_PER_WINDOW = 100_000;
    static final int WINDOW_SECONDS = 30;

    @Override
    public HttpServer apply(HttpServer server) {
        return server.http2Settings(http2 -> http2.maxDecodedRstFramesPerWindow(RESETS_PER_WINDOW, WINDOW_SECONDS));
    }
}
