package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.net.SocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * The live status streams' long polls share the connections to an owner over HTTP/2, many at once over each: over
 * HTTP/1.1 each held one of its own, and a pool of a few hundred was as many followed vouchers.
 */
class LongPollConnectionsTest {

    private final AtomicInteger waiting = new AtomicInteger();
    /** Where the long polls came from: one address a connection, whatever its streams. */
    private final Set<SocketAddress> connections = ConcurrentHashMap.newKeySet();
    private final Sinks.Empty<Void> answer = Sinks.empty();
    private final ConnectionProvider pool = LongPollConnections.pool("long-poll-test", 1);
    private DisposableServer owner;

    @AfterEach
    void stop() {
        pool.dispose();
        if (owner != null) {
            owner.disposeNow();
        }
    }

    @Test
    void longPollsToAnOwnerWaitTogetherOverOneConnection() {
        owner = owner(HttpProtocol.HTTP11, HttpProtocol.H2C);

        HttpClient http2 = LongPollConnections.client(pool, true);
        Mono<List<String>> answers = Flux.range(0, 5).flatMap(poll -> poll(http2)).collectList().cache();
        answers.subscribe();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(waiting.get()).as("waiting, over %s connections", connections.size()).isEqualTo(5));
        answer.tryEmitEmpty();
        assertThat(answers.block(Duration.ofSeconds(10))).containsOnly("changed").hasSize(5);
        assertThat(connections).hasSize(1);
    }

    /** Without HTTP/2 (a path that does not carry h2c, an owner of a release before): one long poll a connection. */
    @Test
    void overHttp11EachLongPollHoldsAConnection() {
        owner = owner(HttpProtocol.HTTP11);
        HttpClient http11 = LongPollConnections.client(pool, false);

        Mono<List<String>> answers = Flux.range(0, 2).flatMap(poll -> poll(http11)).collectList().cache();
        answers.subscribe();

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10)).until(() -> waiting.get() == 1);
        answer.tryEmitEmpty();
        assertThat(answers.block(Duration.ofSeconds(10))).containsOnly("changed").hasSize(2);
    }

    private Mono<String> poll(HttpClient client) {
        return client.get().uri("http://localhost:" + owner.port() + "/internal/changes")
                .responseSingle((response, body) -> body.asString());
    }

    /** An owner whose long polls are answered once the test says so. */
    private DisposableServer owner(HttpProtocol... protocols) {
        return HttpServer.create().port(0).protocol(protocols)
                .route(routes -> routes.get("/internal/changes", (request, response) -> {
                    connections.add(request.remoteAddress());
                    waiting.incrementAndGet();
                    return response.sendString(answer.asMono().then(Mono.just("changed")));
                }))
                .bindNow();
    }
}
