package io.qrvoucher.ingress.api;

import java.time.Duration;

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

    /**
     * How long a connection may go without a frame before it is asked (an HTTP/2 PING) whether the instance is still
     * there: over HTTP/1.1 a long poll that timed out closed its connection, over HTTP/2 it only resets its stream, and
     * a connection left half-open (a partition, a sidecar restarted) took new long polls for as long as TCP took to give
     * up, a quarter of an hour.
     */
    static final Duration IDLE_BEFORE_PING = Duration.ofSeconds(30);
    private static final Duration PING_ANSWERED_WITHIN = Duration.ofSeconds(5);

    /**
     * A pool of at most {@code connections} connections to each instance; as many long polls again may wait for one
     * (an HTTP/1.1 pool full), beyond which one fails at once.
     */
    static ConnectionProvider pool(String name, int connections) {
        return ConnectionProvider.builder(name)
                .allocationStrategy(Http2AllocationStrategy.builder()
                        .maxConnections(connections)
                        .maxConcurrentStreams(LONG_POLLS_PER_CONNECTION)
                        .build())
                .pendingAcquireMaxCount(2 * connections)
                .maxIdleTime(IDLE_BEFORE_PING)
                .build();
    }

    /**
     * A client over the pool: HTTP/2 without TLS, whose idle connections are pinged and dropped after two unanswered
     * pings; or, if not {@code http2}, HTTP/1.1 (one long poll a connection).
     */
    static HttpClient client(ConnectionProvider pool, boolean http2) {
        return HttpClient.create(pool).protocol(http2 ? HttpProtocol.H2C : HttpProtocol.HTTP11)
                .http2Settings(settings -> settings.pingAckTimeout(PING_ANSWERED_WITHIN).pingAckDropThreshold(2));
    }
}
