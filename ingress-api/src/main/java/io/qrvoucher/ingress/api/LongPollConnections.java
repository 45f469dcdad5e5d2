package io.qrvoucher.ingress.api;

import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.Http2AllocationStrategy;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The connections the live status streams' long polls hold to each voucher-streams instance: HTTP/2 without TLS
 * (h2c, spoken from the first byte), many long polls at once over each. Over HTTP/1.1 each long poll held a connection
 * of its own, so that the pool's 512 connections were 512 followed vouchers: a dozen customers following 40 each
 * filled it, and everyone else's live status waited for a connection. (Asked for as HTTP/1.1 and upgraded, a
 * connection carries nothing else until its first long poll is answered.) HTTP/1.1 stays for a path to the instances
 * that does not carry h2c, and for instances of a release before session 39, which speak only it.
 */
final class LongPollConnections {

    /** Long polls one connection carries at once, at most (fewer if the instance says so). */
    static final int LONG_POLLS_PER_CONNECTION = 100;

    private LongPollConnections() {
    }

    /** A pool of at most {@code connections} connections to each instance. */
    static ConnectionProvider pool(String name, int connections) {
        return ConnectionProvider.builder(name)
                .allocationStrategy(Http2AllocationStrategy.builder()
                        .maxConnections(connections)
                        .maxConcurrentStreams(LONG_POLLS_PER_CONNECTION)
                        .build())
                .build();
    }

    /** A client over the pool: HTTP/2 without TLS, or, if not {@code http2}, HTTP/1.1 (one long poll a connection). */
    static HttpClient client(ConnectionProvider pool, boolean http2) {
        return HttpClient.create(pool).protocol(http2 ? HttpProtocol.H2C : HttpProtocol.HTTP11);
    }
}
