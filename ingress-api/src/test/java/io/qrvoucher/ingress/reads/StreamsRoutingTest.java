package io.qrvoucher.ingress.reads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.client.WebClient;

import com.sun.net.httpserver.HttpServer;

/** The routing as the ingress learns it from the voucher-streams instances it is configured with. */
class StreamsRoutingTest {

    private static final Duration BOUND = Duration.ofSeconds(10);

    private final Seed starting = new Seed("{\"instances\": []}");
    private final Seed running = new Seed("""
            {"instances": [
              {"url": "http://streams-1:8082", "active": {"voucher-requests": [0]}, "standby": {"voucher-requests": [1]}},
              {"url": "http://streams-2:8082", "active": {"voucher-requests": [1]}, "standby": {"voucher-requests": [0]}}
            ]}""");

    @AfterEach
    void stop() {
        starting.close();
        running.close();
    }

    @Test
    void theHoldersOfAPartitionAreItsActiveInstanceThenItsStandbys() {
        StreamsRouting routing = routing(running);

        assertThat(routing.holdersOf("voucher-requests", 0).block(BOUND))
                .containsExactly(URI.create("http://streams-1:8082"), URI.create("http://streams-2:8082"));
        assertThat(routing.holdersOf("customer-vouchers", 0).block(BOUND)).isEmpty();
    }

    /** A restarted instance serves its API before its first assignment: it knows of no instance yet, not even itself. */
    @Test
    void anInstanceThatKnowsNoInstanceYetIsPassedOverForTheNext() {
        StreamsRouting routing = routing(starting, running);
        running.answersOnlyAfter(starting);

        assertThat(routing.holdersOf("voucher-requests", 1).block(BOUND))
                .containsExactly(URI.create("http://streams-2:8082"), URI.create("http://streams-1:8082"));
        assertThat(starting.asked.get()).isEqualTo(1);
    }

    /** One by one, a seed that had stopped answering held up the routing its whole timeout before the next was asked. */
    @Test
    void aSeedThatStoppedAnsweringDoesNotHoldUpTheRoutingTheOthersGive() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            StreamsRouting routing = new StreamsRouting(WebClient.create(),
                    List.of(URI.create("http://localhost:" + silent.getLocalPort()), running.url()),
                    Duration.ofMinutes(1), Duration.ofMinutes(1));

            assertThat(routing.holdersOf("voucher-requests", 0).block(BOUND))
                    .containsExactly(URI.create("http://streams-1:8082"), URI.create("http://streams-2:8082"));
        }
    }

    /** Every read waited for the refresh, as long as a seed that stopped answering took to time out. */
    @Test
    void aRoutingDueForRefreshIsUsedWhileItIsAskedForAgain() {
        StreamsRouting routing = new StreamsRouting(WebClient.create(), List.of(running.url()), Duration.ZERO,
                Duration.ofMinutes(1));
        assertThat(routing.holdersOf("voucher-requests", 1).block(BOUND)).hasSize(2);
        running.stopAnswering();

        assertThat(routing.holdersOf("voucher-requests", 1).block(BOUND))
                .containsExactly(URI.create("http://streams-2:8082"), URI.create("http://streams-1:8082"));
        await().atMost(BOUND).until(() -> running.asked.get() == 2);
    }

    private static StreamsRouting routing(Seed... seeds) {
        return new StreamsRouting(WebClient.create(), List.of(seeds).stream().map(Seed::url).toList(),
                Duration.ofMinutes(1), Duration.ofSeconds(2));
    }

    /** A voucher-streams instance's routing endpoint, answering with a fixed routing. */
    private static final class Seed implements AutoCloseable {
        private final HttpServer server;
        private final CountDownLatch closed = new CountDownLatch(1);
        private volatile boolean silent;
        private volatile Seed after;
        private final CountDownLatch answered = new CountDownLatch(1);
        final AtomicInteger asked = new AtomicInteger();

        Seed(String routing) {
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            byte[] body = routing.getBytes(StandardCharsets.UTF_8);
            server.createContext("/internal/routing", exchange -> {
                asked.incrementAndGet();
                if (silent) {
                    awaitClose();
                }
                if (after != null) {
                    after.awaitAnswered();
                }
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
                answered.countDown();
            });
            server.start();
        }

        URI url() {
            return URI.create("http://localhost:" + server.getAddress().getPort());
        }

        /** Answers once {@code other} has answered: the routing asks every seed at once. */
        void answersOnlyAfter(Seed other) {
            after = other;
        }

        private void awaitAnswered() {
            try {
                answered.await(BOUND.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** From now on it takes a request and answers nothing, until it is closed. */
        void stopAnswering() {
            silent = true;
        }

        private void awaitClose() {
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            closed.countDown();
            server.stop(0);
        }
    }
}
