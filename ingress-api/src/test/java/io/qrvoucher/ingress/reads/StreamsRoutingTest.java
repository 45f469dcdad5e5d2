package io.qrvoucher.ingress.reads;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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

        assertThat(routing.holdersOf("voucher-requests", 1).block(BOUND))
                .containsExactly(URI.create("http://streams-2:8082"), URI.create("http://streams-1:8082"));
        assertThat(starting.asked.get()).isEqualTo(1);
    }

    private static StreamsRouting routing(Seed... seeds) {
        return new StreamsRouting(WebClient.create(), List.of(seeds).stream().map(Seed::url).toList(),
                Duration.ofMinutes(1), Duration.ofSeconds(2));
    }

    /** A voucher-streams instance's routing endpoint, answering with a fixed routing. */
    private static final class Seed implements AutoCloseable {
        private final HttpServer server;
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
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
        }

        URI url() {
            return URI.create("http://localhost:" + server.getAddress().getPort());
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
