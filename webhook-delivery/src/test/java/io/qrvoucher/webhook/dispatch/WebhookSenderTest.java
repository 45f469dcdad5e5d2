package io.qrvoucher.webhook.dispatch;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;

import io.qrvoucher.webhook.Receiver;
import io.qrvoucher.webhook.SlowNameServer;
import io.qrvoucher.webhook.core.EndpointUrls;
import io.qrvoucher.webhook.store.WebhookStore;

class WebhookSenderTest {

    /** The demo's and the tests' rules: http and loopback too, any port; private addresses still refused. */
    private static final EndpointUrls LOCAL = new EndpointUrls(true, Set.of(443));
    private static final EndpointUrls PRODUCTION = new EndpointUrls(false, Set.of(443, 8443));

    /** Far more than an attempt's deadline here (500 ms to connect + 1 s to answer), far less than never. */
    private static final Duration BOUND = Duration.ofSeconds(10);

    private static WebhookStore.Due due(String url) {
        return new WebhookStore.Due(7, "e", url, List.of("whsec_test"), "v/v2", "{}".getBytes(), Instant.now(), 0, null, 0);
    }

    /** A name that resolved to a public address at registration may resolve to an internal one now (DNS rebinding). */
    @Test
    void anAddressThePolicyRefusesIsRefusedAtConnectTimeAndNothingIsSent() throws Exception {
        try (Receiver receiver = Receiver.answering();
             WebhookSender production = new WebhookSender(LOCAL, host -> new InetAddress[] {InetAddress.getByName("10.0.0.1")},
                     Duration.ofSeconds(1), Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            WebhookSender.Outcome outcome = production.send(due(receiver.url()));

            assertThat(outcome.delivered()).isFalse();
            assertThat(outcome.error()).isEqualTo("refused: " + EndpointUrls.notPublic("localhost"));
            assertThat(receiver.requests()).isEmpty();
        }
    }

    /** The customer's name server may answer slowly on purpose: the lookup is given up, as a connection would be. */
    @Test
    void aNameThatDoesNotResolveInTimeIsAFailedAttemptWithinTheConnectTimeout() throws Exception {
        SlowNameServer nameServer = new SlowNameServer();
        try (Receiver receiver = Receiver.answering();
             WebhookSender sender = new WebhookSender(LOCAL, nameServer, Duration.ofMillis(500),
                     Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            WebhookSender.Outcome outcome = sendWithin(BOUND, sender, receiver.url());

            assertThat(outcome.delivered()).isFalse();
            assertThat(outcome.error()).as("the answer for a name refused or not resolved at all")
                    .isEqualTo("refused: " + EndpointUrls.notPublic("localhost"));
            assertThat(receiver.requests()).isEmpty();
        } finally {
            nameServer.answer();
        }
    }

    /** Each address tried may take the connect timeout: a name's addresses beyond the first two are not tried. */
    @Test
    void onlyTheFirstTwoAddressesOfANameAreTried() throws Exception {
        // Loopback addresses the receiver does not listen on refuse the connection, and the next address is tried.
        InetAddress[] listening = InetAddress.getAllByName("127.0.0.1");
        InetAddress[] closed = {InetAddress.getByName("127.0.0.2"), InetAddress.getByName("127.0.0.3")};
        try (Receiver receiver = Receiver.answering();
             WebhookSender secondIsTried = new WebhookSender(LOCAL,
                     host -> new InetAddress[] {closed[0], listening[0]}, Duration.ofSeconds(1), Duration.ofSeconds(1),
                     2, Clock.systemUTC());
             WebhookSender thirdIsNot = new WebhookSender(LOCAL,
                     host -> new InetAddress[] {closed[0], closed[1], listening[0]}, Duration.ofSeconds(1),
                     Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            assertThat(secondIsTried.send(due(receiver.url())).delivered()).isTrue();
            assertThat(thirdIsNot.send(due(receiver.url())).delivered()).isFalse();
            assertThat(receiver.requests()).hasSize(1);
        }
    }

    /**
     * What fails before a request is sent (no signing secret can be opened: its key dropped too soon; a URL stored
     * before its checks) is an attempt failed on this side, recorded and backed off, not an exception that left the
     * delivery due in front of every worker.
     */
    @Test
    void aDeliveryThatCannotBeSignedOrAddressedIsAnAttemptFailedOnThisSide() throws Exception {
        try (Receiver receiver = Receiver.answering();
             WebhookSender sender = new WebhookSender(LOCAL, Duration.ofSeconds(1),
                     Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            WebhookStore.Due unsigned = new WebhookStore.Due(7, "e", receiver.url(), List.of(), "v/v2", "{}".getBytes(),
                    Instant.now(), 0, null, 0);

            assertThat(sender.send(unsigned).error()).isEqualTo("failed on the sending side");
            assertThat(sender.send(due("https://exa mple.com/hook")).error()).isEqualTo("failed on the sending side");
            assertThat(receiver.requests()).isEmpty();
        }
    }

    @Test
    void aPlainHttpUrlIsNotSentWithoutTheLocalSwitch() throws Exception {
        try (Receiver receiver = Receiver.answering();
             WebhookSender production = new WebhookSender(PRODUCTION, Duration.ofSeconds(1),
                     Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            assertThat(production.send(due(receiver.url())).error()).isEqualTo("refused: url must be an https URL");
            assertThat(receiver.requests()).isEmpty();
        }
    }

    /** An endpoint registered before its port left the list (or before ports were listed) is not knocked on. */
    @Test
    void aUrlToAPortWebhooksNoLongerGoToIsRefusedBeforeAnyLookupOrConnection() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        try (WebhookSender production = new WebhookSender(PRODUCTION, host -> {
            lookups.incrementAndGet();
            return new InetAddress[] {InetAddress.getByName("93.184.215.14")};
        }, Duration.ofSeconds(1), Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            assertThat(production.send(due("https://shop.example.com:6379/hook")).error())
                    .isEqualTo("refused: url names port 6379: webhooks go to 443, 8443 only");
            assertThat(lookups).hasValue(0);
        }
    }

    /**
     * A receiver host serving many customers: two of its endpoints that do not answer take no connection a third
     * customer's attempt needs (with two connections a host, it waited until its deadline and counted as the third
     * endpoint's timeout).
     */
    @Test
    void slowEndpointsOfAHostDoNotHoldUpAnotherEndpointOfIt() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger hanging = new AtomicInteger();
        com.sun.net.httpserver.HttpServer host = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        host.setExecutor(Executors.newCachedThreadPool());
        host.createContext("/slow", exchange -> {
            hanging.incrementAndGet();
            try {
                release.await(BOUND.toSeconds(), TimeUnit.SECONDS); // the endpoint's own slowness, not a wait for an outcome
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        host.createContext("/fast", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        host.start();
        String base = "http://localhost:" + host.getAddress().getPort();
        ExecutorService attempts = Executors.newFixedThreadPool(2);
        try (WebhookSender sender = new WebhookSender(LOCAL, Duration.ofMillis(500), Duration.ofSeconds(5), 4,
                Clock.systemUTC())) {
            List<java.util.concurrent.Future<WebhookSender.Outcome>> slow = List.of(
                    attempts.submit(() -> sender.send(due(base + "/slow"))),
                    attempts.submit(() -> sender.send(due(base + "/slow"))));
            await().atMost(BOUND).until(() -> hanging.get() == 2);

            WebhookSender.Outcome fast = sender.send(due(base + "/fast"));

            assertThat(fast.delivered()).as("%s", fast).isTrue();
            assertThat(slow).as("delivered while the slow attempts still wait, not once their deadline freed a connection")
                    .noneMatch(java.util.concurrent.Future::isDone);
        } finally {
            release.countDown();
            attempts.shutdownNow();
            host.stop(0);
        }
    }

    /** A 429 or 503 may ask for a pause (RFC 9110: seconds or an HTTP date); other statuses' Retry-After is not read. */
    @Test
    void theRetryAfterOfA429OrA503IsTakenWithTheOutcome() throws Exception {
        AtomicInteger status = new AtomicInteger();
        com.sun.net.httpserver.HttpServer busy = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        busy.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Retry-After", "120");
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        busy.start();
        try (WebhookSender sender = withShortTimeouts()) {
            String url = "http://localhost:" + busy.getAddress().getPort() + "/";
            for (int asking : new int[] {429, 503}) {
                status.set(asking);
                assertThat(sender.send(due(url)).retryAfter()).as("%d", asking).isEqualTo(Duration.ofSeconds(120));
            }
            status.set(500);
            assertThat(sender.send(due(url)).retryAfter()).isNull();
        } finally {
            busy.stop(0);
        }
        Instant now = Instant.parse("2026-12-05T10:00:00Z");
        for (String twoMinutes : new String[] {"Sat, 05 Dec 2026 10:02:00 GMT", "Saturday, 05-Dec-26 10:02:00 GMT",
                " 120 ", "0000000000120"}) {
            assertThat(WebhookSender.retryAfter(new org.apache.hc.core5.http.message.BasicHeader("Retry-After", twoMinutes),
                    now)).as(twoMinutes).isEqualTo(Duration.ofMinutes(2));
        }
        assertThat(WebhookSender.retryAfter(new org.apache.hc.core5.http.message.BasicHeader("Retry-After",
                "9".repeat(30)), now)).as("however many digits").isEqualTo(Duration.ofSeconds(Integer.MAX_VALUE));
        for (String unread : new String[] {"Sat, 05 Dec 2026 09:00:00 GMT", "soon", "-5", "1e3"}) {
            assertThat(WebhookSender.retryAfter(new org.apache.hc.core5.http.message.BasicHeader("Retry-After", unread), now))
                    .as(unread).isNull();
        }
    }

    @Test
    void aRedirectIsNotFollowedButCountsAsAFailedAttempt() throws Exception {
        com.sun.net.httpserver.HttpServer redirecting = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 10);
        redirecting.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://127.0.0.1:1/internal");
            exchange.sendResponseHeaders(307, -1);
            exchange.close();
        });
        redirecting.start();
        try (WebhookSender sender = new WebhookSender(LOCAL, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            WebhookSender.Outcome outcome = sender.send(due("http://localhost:" + redirecting.getAddress().getPort() + "/"));

            assertThat(outcome.delivered()).isFalse();
            assertThat(outcome.statusCode()).isEqualTo(307);
        } finally {
            redirecting.stop(0);
        }
    }

    /** 200 and then a chunked body, a byte every 100 ms: each read is quick, the body never ends. */
    @Test
    void aBodyThatNeverEndsIsCutOffAtTheDeadlineAndTheStatusReceivedInTimeDecides() throws Exception {
        try (Trickling endpoint = new Trickling("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\nx\r\n");
             WebhookSender sender = withShortTimeouts()) {
            WebhookSender.Outcome outcome = sendWithin(BOUND, sender, endpoint.url());

            assertThat(outcome.delivered()).isTrue();
            assertThat(outcome.statusCode()).isEqualTo(200);
            assertThat(outcome.error()).isNull();
            // The connection was closed, not left to trickle into a pool or a leak.
            await().atMost(BOUND).until(() -> endpoint.cutOff() == 1);
        }
    }

    /** The status line, then a header a byte every 100 ms: each read is quick, the answer never completes. */
    @Test
    void anAnswerTrickledSoSlowlyThatItsHeadIsNotInByTheDeadlineIsATimeout() throws Exception {
        try (Trickling endpoint = new Trickling("HTTP/1.1 200 OK\r\nX-Trickle: ", "a");
             WebhookSender sender = withShortTimeouts()) {
            WebhookSender.Outcome outcome = sendWithin(BOUND, sender, endpoint.url());

            assertThat(outcome.delivered()).isFalse();
            assertThat(outcome.statusCode()).isNull();
            assertThat(outcome.error()).isEqualTo("timeout: no answer within 1500 ms");
            await().atMost(BOUND).until(() -> endpoint.cutOff() == 1);
        }
    }

    /** The customer reads why an attempt failed: the words of the failure, not a class name or "null". */
    @Test
    void aRefusedConnectionAndAFailedHandshakeSayWhatHappened() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        // Answers every connection in plain HTTP at once: a TLS client reads it as a broken handshake.
        try (Trickling plainHttp = new Trickling("HTTP/1.1 400 Bad Request\r\n\r\n", "");
             WebhookSender sender = withShortTimeouts()) {
            String refused = sendWithin(BOUND, sender, "http://localhost:" + closedPort + "/hook").error();
            assertThat(refused).startsWith("connection failed: ").contains("refused").doesNotContain("null");

            String handshake = sendWithin(BOUND, sender, plainHttp.url().replace("http://", "https://")).error();
            assertThat(handshake).startsWith("TLS failed: ").doesNotContain("Exception");
        }
    }

    /** The attempt on a thread of its own, waited for a bounded time: without its deadline it would never end. */
    /** Half a second to connect, a second to answer: an attempt's deadline is 1.5 s. */
    private static WebhookSender withShortTimeouts() {
        return new WebhookSender(LOCAL, Duration.ofMillis(500), Duration.ofSeconds(1), 2,
                Clock.systemUTC());
    }

    private static WebhookSender.Outcome sendWithin(Duration bound, WebhookSender sender, String url) throws Exception {
        ExecutorService attempt = Executors.newSingleThreadExecutor();
        try {
            return attempt.submit(() -> sender.send(due(url))).get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            attempt.shutdownNow();
        }
    }

    /**
     * An endpoint that, on each connection, writes {@code head} and then {@code drip} every 100 ms without end
     * — well within the response timeout each time — until the other side closes the connection.
     */
    private static final class Trickling implements AutoCloseable {

        private static final Duration DRIP_EVERY = Duration.ofMillis(100);

        private final ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newCachedThreadPool();
        private final List<Socket> connections = new CopyOnWriteArrayList<>();
        private final AtomicInteger cutOff = new AtomicInteger();

        Trickling(String head, String drip) throws IOException {
            threads.execute(() -> {
                try {
                    while (true) {
                        Socket connection = server.accept();
                        connections.add(connection);
                        threads.execute(() -> trickle(connection, head.getBytes(US_ASCII), drip.getBytes(US_ASCII)));
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
        }

        private void trickle(Socket connection, byte[] head, byte[] drip) {
            // The request is left unread: it is small, and nothing here depends on it.
            try (connection) {
                OutputStream out = connection.getOutputStream();
                out.write(head);
                while (!Thread.currentThread().isInterrupted()) {
                    out.write(drip);
                    out.flush();
                    LockSupport.parkNanos(DRIP_EVERY.toNanos());
                }
            } catch (IOException e) {
                cutOff.incrementAndGet(); // the sender closed the connection
            }
        }

        String url() {
            return "http://localhost:" + server.getLocalPort() + "/hooks";
        }

        /** Connections the sender closed while they were trickling. */
        int cutOff() {
            return cutOff.get();
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
            for (Socket connection : connections) {
                connection.close();
            }
        }
    }
}
