package io.qrvoucher.ingress.reads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.client.WebClient;

import com.sun.net.httpserver.HttpServer;

/** The ingress's calls to the webhook delivery instances, against an instance that answers slowly. */
class WebhookEndpointsTest {

    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final String ENDPOINT = UUID.randomUUID().toString();

    private final AtomicInteger asked = new AtomicInteger();
    private final HttpServer owner = slowOwner(Duration.ofMillis(800));

    @AfterEach
    void stop() {
        owner.stop(0);
    }

    /**
     * A removal waits for an attempt under way to the endpoint: given up at the others' time limit, it would be asked of
     * the next instance, which would find the endpoint removed by the first (404) — or answered 503.
     */
    @Test
    void aRemovalIsGivenTheTimeAnAttemptUnderWayTakesWhereOtherCallsAreNot() {
        WebhookEndpoints endpoints = new WebhookEndpoints(WebClient.create(), List.of(ownerUrl()), Duration.ofMillis(300),
                Duration.ofSeconds(5));

        endpoints.remove("alice", ENDPOINT).block(BOUND);
        assertThatThrownBy(() -> endpoints.deliveriesOf("alice", ENDPOINT, null, 20).block(BOUND))
                .isInstanceOf(VoucherReads.Unavailable.class);
        await().atMost(BOUND).untilAsserted(() -> assertThat(asked).as("both calls reached the owner").hasValue(2));
    }

    /** A registration no instance confirmed in time may have been made by one answering late: not "nothing happened". */
    @Test
    void aWriteNoInstanceConfirmedInTimeIsUnconfirmedWhereAReadIsUnavailable() {
        WebhookEndpoints endpoints = new WebhookEndpoints(WebClient.create(), List.of(ownerUrl()), Duration.ofMillis(300),
                Duration.ofSeconds(5));

        assertThatThrownBy(() -> endpoints.register("alice", "https://receiver.example/hooks", List.of("VOUCHER_REDEEMED"),
                "key-1").block(BOUND)).isInstanceOf(VoucherReads.Unconfirmed.class);
        assertThatThrownBy(() -> endpoints.deliveriesOf("alice", ENDPOINT, null, 20).block(BOUND))
                .isInstanceOf(VoucherReads.Unavailable.class).isNotInstanceOf(VoucherReads.Unconfirmed.class);
    }

    /** Else the customer was told it may have been done, and a registration without a key was given no Retry-After. */
    @Test
    void aWriteEveryInstanceAnsweredBusyIsRefusedAsNotDoneWithItsRetryAfter() throws IOException {
        HttpServer busy = busyOwner();
        try {
            URI busyUrl = URI.create("http://localhost:" + busy.getAddress().getPort());
            WebhookEndpoints endpoints = new WebhookEndpoints(WebClient.create(), List.of(busyUrl, busyUrl),
                    Duration.ofSeconds(5), Duration.ofSeconds(5));

            assertThatThrownBy(() -> endpoints.register("alice", "https://receiver.example/hooks",
                    List.of("VOUCHER_REDEEMED"), null).block(BOUND))
                    .isInstanceOfSatisfying(WebhookEndpoints.Refused.class, refused -> {
                        assertThat(refused.status().value()).isEqualTo(503);
                        assertThat(refused.code()).isEqualTo("TEMPORARILY_UNAVAILABLE");
                        assertThat(refused.retryAfterSeconds()).contains(2L);
                        assertThat(refused.getMessage()).contains("nothing was done");
                    });
            assertThat(asked).as("each instance asked").hasValue(2);
            assertThatThrownBy(() -> endpoints.endpointsOf("alice").block(BOUND)).as("a read too")
                    .isInstanceOfSatisfying(WebhookEndpoints.Refused.class,
                            refused -> assertThat(refused.status().value()).isEqualTo(503));

            WebhookEndpoints oneBusyOneSlow = new WebhookEndpoints(WebClient.create(), List.of(busyUrl, ownerUrl()),
                    Duration.ofMillis(300), Duration.ofSeconds(5));
            assertThatThrownBy(() -> oneBusyOneSlow.register("alice", "https://receiver.example/hooks",
                    List.of("VOUCHER_REDEEMED"), "key-1").block(BOUND))
                    .as("the slow one may have done it").isInstanceOf(VoucherReads.Unconfirmed.class);
        } finally {
            busy.stop(0);
        }
    }

    private URI ownerUrl() {
        return URI.create("http://localhost:" + owner.getAddress().getPort());
    }

    /** An instance whose places are full: every call 503, with a problem and a Retry-After, at once. */
    private HttpServer busyOwner() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            asked.incrementAndGet();
            byte[] problem = "{\"status\":503,\"code\":\"TEMPORARILY_UNAVAILABLE\",\"detail\":\"Too many lookups at once\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
            exchange.getResponseHeaders().add("Retry-After", "2");
            exchange.sendResponseHeaders(503, problem.length);
            exchange.getResponseBody().write(problem);
            exchange.close();
        });
        server.start();
        return server;
    }

    /** An instance that answers every call 204 after {@code delay}. */
    private HttpServer slowOwner(Duration delay) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                asked.incrementAndGet();
                LockSupport.parkNanos(delay.toNanos()); // the owner's own slowness, not a wait for an outcome
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            server.setExecutor(null);
            server.start();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
