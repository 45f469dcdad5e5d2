package io.qrvoucher.webhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

import io.qrvoucher.webhook.core.WebhookSignature;

/**
 * A customer's webhook receiver: a real HTTP server on the loopback address that records every request it
 * gets and answers 200 — or 503 to its first {@code failures} requests, as a receiver that is down for a while.
 */
public final class Receiver implements AutoCloseable {

    /** A request as the receiver got it. */
    public record Request(Instant at, String signature, String eventId, String deliveryId, byte[] body, int answered) {

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** What a receiver does before it trusts a request: the signature, made recently, with its secret. */
        public boolean verifies(String secret) {
            return WebhookSignature.verify(secret, signature, body, Instant.now(), Duration.ofMinutes(5));
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft;
    /** What it answers once its failures are spent. */
    private final AtomicInteger answer = new AtomicInteger(200);
    private final Duration answerAfter;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostInFlight = new AtomicInteger();
    /** Events it answers 500 to, whatever else it answers: a receiver whose handling of one event keeps failing. */
    private volatile String refusedEventPrefix;

    private Receiver(int failures, Duration answerAfter) {
        this.failuresLeft = new AtomicInteger(failures);
        this.answerAfter = answerAfter;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(threads);
        server.createContext("/", exchange -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                byte[] body = exchange.getRequestBody().readAllBytes();
                if (!answerAfter.isZero()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(answerAfter.toNanos()); // a receiver that takes its time
                }
                Map<String, List<String>> headers = exchange.getRequestHeaders();
                String eventId = first(headers, WebhookSignature.EVENT_ID_HEADER);
                String refused = refusedEventPrefix;
                int status = refused != null && eventId != null && eventId.startsWith(refused) ? 500
                        : failuresLeft.getAndDecrement() > 0 ? 503 : answer.get();
                requests.add(new Request(Instant.now(), first(headers, WebhookSignature.HEADER), eventId,
                        first(headers, WebhookSignature.DELIVERY_ID_HEADER), body, status));
                exchange.sendResponseHeaders(status, -1);
            } finally {
                inFlight.decrementAndGet();
                exchange.close();
            }
        });
        server.start();
    }

    public static Receiver answering() {
        return new Receiver(0, Duration.ZERO);
    }

    public static Receiver failingFirst(int failures) {
        return new Receiver(failures, Duration.ZERO);
    }

    public static Receiver answeringAfter(Duration delay) {
        return new Receiver(0, delay);
    }

    /** A receiver that answers 410 Gone, as one taken down for good says, until told {@link #answer} otherwise. */
    public static Receiver gone() {
        Receiver receiver = new Receiver(0, Duration.ZERO);
        receiver.answer(410);
        return receiver;
    }

    /** Answers 500 to the events whose ids start with {@code prefix} (a voucher's, say) from now on; null: to none. */
    public void refuseEventsOf(String prefix) {
        refusedEventPrefix = prefix;
    }

    /** Answers {@code status} from now on. */
    public void answer(int status) {
        answer.set(status);
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null ? null : values.get(0);
    }

    public String url() {
        return "http://localhost:" + server.getAddress().getPort() + "/hooks";
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The requests it answered 200, in the order they came. */
    public List<Request> accepted() {
        return requests.stream().filter(request -> request.answered() == 200).toList();
    }

    /** The most requests it ever served at once. */
    public int mostInFlight() {
        return mostInFlight.get();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
