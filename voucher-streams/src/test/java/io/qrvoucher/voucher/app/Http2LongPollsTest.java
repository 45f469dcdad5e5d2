package io.qrvoucher.voucher.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.Http2AllocationStrategy;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * The ingress's long polls share HTTP/2 connections to this instance, and every poll a client leaves is cancelled with
 * a reset of its stream: more of them than Netty's guard allows (200 in 30 s) closed the connection, and with it the
 * polls of others.
 */
class Http2LongPollsTest {

    private final AtomicInteger waiting = new AtomicInteger();
    private final Set<SocketAddress> connections = ConcurrentHashMap.newKeySet();
    private final ConnectionProvider pool = ConnectionProvider.builder("resets-test")
            .allocationStrategy(Http2AllocationStrategy.builder().maxConnections(1).maxConcurrentStreams(1_000).build())
            .build();
    private final HttpClient client = HttpClient.create(pool).protocol(HttpProtocol.H2C);
    private DisposableServer server;

    @AfterEach
    void stop() {
        pool.dispose();
        if (server != null) {
            server.disposeNow();
        }
    }

    @Test
    void aConnectionOutlivesTheResetsOfManyLongPollsLeft() {
        server = new Http2LongPolls().apply(HttpServer.create().port(0).protocol(HttpProtocol.HTTP11, HttpProtocol.H2C))
                .route(routes -> routes
                        .get("/poll", (request, response) -> {
                            connections.add(request.remoteAddress());
                            waiting.incrementAndGet();
                            return response.sendString(Mono.never());
                        })
                        .get("/ping", (request, response) -> {
                            connections.add(request.remoteAddress());
                            return response.sendString(Mono.just("pong"));
                        }))
                .bindNow();

        // Three pages' worth of polls left, a hundred at a time (what a connection carries at once): 300 resets.
        for (int round = 1; round <= 3; round++) {
            Disposable left = Flux.range(0, 100).flatMap(poll -> get("/poll"), 100).subscribe();
            int polled = round * 100;
            await().atMost(Duration.ofSeconds(20)).until(() -> waiting.get() == polled);
            left.dispose();
        }

        assertThat(get("/ping").block(Duration.ofSeconds(10))).isEqualTo("pong");
        assertThat(connections).as("one connection throughout").hasSize(1);
    }

    private Mono<String> get(String path) {
        return client.get().uri("http://localhost:" + server.port() + path).responseSingle((response, body) -> body.asString());
    }
}
