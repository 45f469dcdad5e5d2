package io.qrvoucher.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Whole voucher lifecycles over the HTTP API, as the apps drive them: alice generates a voucher and
 * waits for it to settle ({@code Prefer: wait}); then bob redeems it in full, or carol redeems a part
 * of it, each waiting for the outcome; or alice cancels it; or it is left to expire.
 *
 * <p>At a fixed offered rate (open loop) a lifecycle starts on schedule whether or not the earlier
 * ones have finished, and its generate latency counts from when it was due to start, so a stall
 * shows in the figures instead of slowing the load (no coordinated omission). Closed loop keeps a
 * fixed number of lifecycles in flight, to find the most the pipeline completes.
 */
final class LifecycleLoad {

    /** The mix, in percent of lifecycles. */
    static final int FULL_REDEEM = 70;
    static final int PARTIAL_REDEEM = 15;
    static final int CANCEL = 10;
    static final int EXPIRE = 5;
    static final double REDEEMING = (FULL_REDEEM + PARTIAL_REDEEM) / 100.0;
    static final Duration SHORT_VALIDITY = Duration.ofSeconds(5);
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Beyond this many unfinished lifecycles an open loop stops starting new ones, and counts them as failed. */
    static final int MAX_IN_FLIGHT = 2_000;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final Map<String, String> tokens;

    private final Recorder generateToUnused = new Recorder(3);
    private final Recorder redeemToRedeemed = new Recorder(3);
    private final LongAdder requests = new LongAdder();
    private final LongAdder lifecyclesStarted = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder redeemed = new LongAdder();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final Queue<String> expiring = new ConcurrentLinkedQueue<>();
    private final AtomicLong inFlight = new AtomicLong();
    private volatile boolean measuring;

    LifecycleLoad(String baseUrl, Map<String, String> tokens) {
        this.baseUrl = baseUrl;
        this.tokens = Map.copyOf(tokens);
    }

    /** What one measured phase did. */
    record Phase(String name, double seconds, long lifecyclesStarted, long vouchersCompleted, double vouchersPerSecond,
                 long redemptions, double redemptionsPerSecond, long requests, double requestsPerSecond,
                 Latency generateToUnused, Latency redeemToRedeemed, Map<String, Long> failures) {
    }

    record Latency(long count, double p50Ms, double p95Ms, double p99Ms, double maxMs) {
        static Latency of(Histogram histogram) {
            return new Latency(histogram.getTotalCount(), ms(histogram.getValueAtPercentile(50)),
                    ms(histogram.getValueAtPercentile(95)), ms(histogram.getValueAtPercentile(99)),
                    ms(histogram.getMaxValue()));
        }

        private static double ms(long micros) {
            return micros / 1000.0;
        }
    }

    /** Starts {@code lifecyclesPerSecond} lifecycles a second, on schedule, for {@code duration}. */
    Phase openLoop(String name, double lifecyclesPerSecond, Duration duration, boolean measured, ProgressBar progress) {
        long interval = (long) (1e9 / lifecyclesPerSecond);
        return phase(name, duration, measured, progress, (start, end) -> {
            for (long due = start; due < end; due += interval) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (inFlight.get() < MAX_IN_FLIGHT) {
                    lifecycle(due);
                } else {
                    fail("not started: " + MAX_IN_FLIGHT + " lifecycles in flight", measured);
                }
                progress.show(System.nanoTime() - start, end - start, this::status);
            }
        });
    }

    /** Keeps {@code concurrency} lifecycles in flight for {@code duration}. */
    Phase closedLoop(String name, int concurrency, Duration duration, boolean measured, ProgressBar progress) {
        Semaphore slots = new Semaphore(concurrency);
        return phase(name, duration, measured, progress, (start, end) -> {
            while (System.nanoTime() < end) {
                try {
                    if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                lifecycle(System.nanoTime()).whenComplete((ignored, error) -> slots.release());
                progress.show(System.nanoTime() - start, end - start, this::status);
            }
        });
    }

    private interface Schedule {
        void run(long startNanos, long endNanos);
    }

    private Phase phase(String name, Duration duration, boolean measured, ProgressBar progress, Schedule schedule) {
        generateToUnused.reset();
        redeemToRedeemed.reset();
        long requestsBefore = requests.sum();
        long startedBefore = lifecyclesStarted.sum();
        long completedBefore = completed.sum();
        long redeemedBefore = redeemed.sum();
        failures.clear();
        measuring = measured;
        long start = System.nanoTime();
        schedule.run(start, start + duration.toNanos());
        awaitInFlight(Duration.ofSeconds(30));
        double seconds = duration.toNanos() / 1e9;
        measuring = false;
        long vouchers = completed.sum() - completedBefore;
        long redemptions = redeemed.sum() - redeemedBefore;
        long sent = requests.sum() - requestsBefore;
        Phase phase = new Phase(name, seconds, lifecyclesStarted.sum() - startedBefore, vouchers, vouchers / seconds,
                redemptions, redemptions / seconds, sent, sent / seconds,
                Latency.of(generateToUnused.getIntervalHistogram()), Latency.of(redeemToRedeemed.getIntervalHistogram()),
                failures.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().sum())));
        progress.done(String.format("%,.0f vouchers/s, %,.0f redemptions/s, %,.0f requests/s; redeem p99 %.0f ms",
                phase.vouchersPerSecond(), phase.redemptionsPerSecond(), phase.requestsPerSecond(),
                phase.redeemToRedeemed().p99Ms()));
        return phase;
    }

    private String status() {
        return String.format("in flight %d, completed %,d", inFlight.get(), completed.sum());
    }

    private void awaitInFlight(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }

    /** One lifecycle, its generate due at {@code dueNanos}; completes when its last answer came. */
    private CompletableFuture<Void> lifecycle(long dueNanos) {
        lifecyclesStarted.increment();
        inFlight.incrementAndGet();
        boolean recorded = measuring;
        int kind = ThreadLocalRandom.current().nextInt(100);
        boolean expires = kind >= FULL_REDEEM + PARTIAL_REDEEM + CANCEL;
        String amount = "0.0" + ThreadLocalRandom.current().nextInt(1, 10);
        Map<String, Object> generate = expires
                ? Map.of("accountId", "alice-cny", "amount", amount, "currency", "CNY",
                        "expiresAt", Instant.now().plus(SHORT_VALIDITY).toString())
                : Map.of("accountId", "alice-cny", "amount", amount, "currency", "CNY");
        return post("/api/vouchers", "alice", generate).thenCompose(voucher -> {
            if (!"UNUSED".equals(text(voucher, "status"))) {
                fail("generate " + outcome(voucher), recorded);
                return CompletableFuture.completedFuture(null);
            }
            if (recorded) {
                generateToUnused.recordValue((System.nanoTime() - dueNanos) / 1000);
            }
            String code = text(voucher, "code");
            if (kind < FULL_REDEEM) {
                return redeem("bob", Map.of("code", code, "accountId", "bob-cny"), recorded);
            }
            if (kind < FULL_REDEEM + PARTIAL_REDEEM) {
                return redeem("carol", Map.of("code", code, "accountId", "carol-cny", "amount", "0.01"), recorded);
            }
            if (kind < FULL_REDEEM + PARTIAL_REDEEM + CANCEL) {
                return post("/api/vouchers/" + text(voucher, "id") + "/cancel", "alice", null).thenAccept(cancelled -> {
                    if (!"CANCELLED".equals(text(cancelled, "status"))) {
                        fail("cancel " + outcome(cancelled), recorded);
                    } else if (recorded) {
                        completed.increment();
                    }
                });
            }
            if (recorded) {
                expiring.add(text(voucher, "id"));
            }
            return CompletableFuture.completedFuture(null);
        }).exceptionally(error -> {
            fail(error.getClass().getSimpleName(), recorded);
            return null;
        }).whenComplete((ignored, error) -> inFlight.decrementAndGet());
    }

    private CompletableFuture<Void> redeem(String payee, Map<String, Object> body, boolean recorded) {
        long sent = System.nanoTime();
        return post("/api/redemptions", payee, body).thenAccept(redemption -> {
            if ("SUCCEEDED".equals(text(redemption, "status"))) {
                if (recorded) {
                    redeemToRedeemed.recordValue((System.nanoTime() - sent) / 1000);
                    redeemed.increment();
                    completed.increment();
                }
            } else {
                fail("redeem " + outcome(redemption), recorded);
            }
        });
    }

    /** Of the measured lifecycles left to expire, how many did. */
    record Expiries(long leftToExpire, long expired) {
    }

    /**
     * After the measured phases: asks the API, once their validity has passed, whether the vouchers
     * left to expire did.
     */
    Expiries confirmExpired() {
        LockSupport.parkNanos(SHORT_VALIDITY.plusSeconds(3).toNanos());
        List<String> left = List.copyOf(expiring);
        long expired = left.stream().filter(id -> "EXPIRED".equals(text(get("/api/vouchers/" + id, "alice"), "status")))
                .count();
        expiring.clear();
        return new Expiries(left.size(), expired);
    }

    private CompletableFuture<JsonNode> post(String path, String customer, Object body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(WAIT.plusSeconds(20))
                .header("Authorization", "Bearer " + tokens.get(customer))
                .header("Content-Type", "application/json")
                .header("Prefer", "wait=" + WAIT.toSeconds())
                .POST(body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        return send(request);
    }

    private JsonNode get(String path, String customer) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + tokens.get(customer)).GET().build()).join();
    }

    private CompletableFuture<JsonNode> send(HttpRequest request) {
        requests.increment();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> {
                    JsonNode body = response.body().startsWith("{") ? JSON.readTree(response.body()) : JSON.createObjectNode();
                    return body.isObject() && !body.has("httpStatus")
                            ? ((tools.jackson.databind.node.ObjectNode) body).put("httpStatus", response.statusCode())
                            : body;
                });
    }

    /** Counts a failure of a measured lifecycle; a warm-up's late failures are not the next phase's. */
    private void fail(String what, boolean recorded) {
        if (recorded) {
            failures.computeIfAbsent(what, key -> new LongAdder()).increment();
        }
    }

    private static String outcome(JsonNode body) {
        String status = text(body, "status");
        String reason = text(body, "reason");
        return status != null ? status + (reason == null ? "" : " " + reason) : "HTTP " + text(body, "httpStatus");
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body == null ? null : body.get(field);
        return value == null || value.isNull() ? null : value.asString();
    }

    /**
     * Signs the demo customers in, and sets the payer's step-up policy to "only the first time" (the
     * default asks for a fresh sign-in for every voucher), waiting until the API applies it.
     */
    static Map<String, String> signIn(String baseUrl, List<String> customers, String payer) {
        HttpClient http = HttpClient.newHttpClient();
        Map<String, String> tokens = new java.util.HashMap<>();
        for (String customer : customers) {
            JsonNode token = exchange(http, HttpRequest.newBuilder(URI.create(baseUrl + "/dev/token"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"customerId\":\"" + customer + "\"}")).build());
            tokens.put(customer, token.get("accessToken").asString());
        }
        HttpRequest.Builder settings = HttpRequest.newBuilder(URI.create(baseUrl + "/api/settings"))
                .header("Authorization", "Bearer " + tokens.get(payer)).header("Content-Type", "application/json");
        exchange(http, settings.PUT(HttpRequest.BodyPublishers.ofString("{\"stepUpPolicy\":\"FIRST_TIME_ONLY\"}")).build());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"FIRST_TIME_ONLY".equals(text(exchange(http, settings.GET().build()), "stepUpPolicy"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The API did not apply " + payer + "'s step-up policy within 30 s");
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        return tokens;
    }

    private static JsonNode exchange(HttpClient http, HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                throw new IllegalStateException(request.method() + " " + request.uri() + ": " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
