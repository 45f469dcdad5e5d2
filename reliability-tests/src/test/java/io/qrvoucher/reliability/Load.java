package io.qrvoucher.reliability;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Steady traffic of whole voucher lifecycles: alice generates short-lived vouchers (10 s), and each
 * is then redeemed in full or in part by bob or carol (own account or another bank), redeemed by both
 * at once, cancelled, or left to expire. Every request the API accepted is remembered, so that its
 * outcome can be checked afterwards.
 */
final class Load {

    static final Duration VALIDITY = Duration.ofSeconds(10);

    private final Api api;
    private final Map<String, String> tokens;
    private final Map<String, Boolean> acceptedVouchers = new ConcurrentHashMap<>();
    private final Map<String, String> acceptedRedemptions = new ConcurrentHashMap<>();
    private final AtomicInteger sent = new AtomicInteger();
    /** The requests not accepted, by what was asked and what was answered. */
    private final Map<String, AtomicInteger> notAccepted = new ConcurrentHashMap<>();
    private final AtomicInteger cancels = new AtomicInteger();

    Load(Api api, Map<String, String> tokens) {
        this.api = api;
        this.tokens = tokens;
    }

    /** Runs {@code users} concurrent lifecycles until {@code duration} has passed. */
    void run(int users, Duration duration) {
        Instant end = Instant.now().plus(duration);
        ExecutorService workers = Executors.newFixedThreadPool(users);
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            running.add(workers.submit(() -> {
                while (Instant.now().isBefore(end)) {
                    lifecycle();
                }
            }));
        }
        for (Future<?> worker : running) {
            try {
                worker.get(duration.toSeconds() + 120, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("A load worker failed", e);
            }
        }
        workers.shutdown();
    }

    private void lifecycle() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String amount = String.format("%d.%02d", random.nextInt(0, 5), random.nextInt(10, 100));
        Api.Response generated = call("POST", "/api/vouchers", "alice", "wait=5", Map.of("accountId", "alice-cny",
                "amount", amount, "currency", "CNY", "expiresAt", Instant.now().plus(VALIDITY).toString()));
        if (!generated.ok()) {
            return;
        }
        String voucherId = generated.string("id");
        acceptedVouchers.put(voucherId, true);
        String code = generated.string("code");
        if (code == null) {
            return; // still pending: it will be issued and expire, or be rejected
        }
        int action = random.nextInt(100);
        if (action < 35) {
            redeem("bob", code, null, Map.of("accountId", "bob-cny"));
        } else if (action < 50) {
            redeem("carol", code, "0.05", Map.of("accountId", "carol-cny"));
        } else if (action < 60) {
            redeem("carol", code, null, Map.of("externalAccount", Map.of("bank", "ICBC", "name", "Carol", "number", "6222")));
        } else if (action < 70) {
            Thread other = new Thread(() -> redeem("bob", code, null, Map.of("accountId", "bob-cny")));
            other.start();
            redeem("carol", code, null, Map.of("accountId", "carol-cny"));
            try {
                other.join(Duration.ofSeconds(60).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (action < 85) {
            cancels.incrementAndGet();
            call("POST", "/api/vouchers/" + voucherId + "/cancel", "alice", "wait=0", null);
        }
    }

    private void redeem(String payee, String code, String amount, Map<String, Object> destination) {
        Map<String, Object> body = new java.util.HashMap<>(destination);
        body.put("code", code);
        if (amount != null) {
            body.put("amount", amount);
        }
        Api.Response accepted = call("POST", "/api/redemptions", payee, null, body);
        if (accepted.ok()) {
            acceptedRedemptions.put(accepted.string("id"), payee);
        }
    }

    private Api.Response call(String method, String path, String customer, String prefer, Object body) {
        sent.incrementAndGet();
        Api.Response response = api.send(method, path, tokens.get(customer), prefer, body);
        if (!response.ok()) {
            String asked = method + " " + path.replaceFirst("^/api/vouchers/[^/]+", "/api/vouchers/{id}");
            String answered = response.status() < 0 ? "no answer" : response.status() + " " + response.string("code");
            notAccepted.computeIfAbsent(asked + ": " + answered, reason -> new AtomicInteger()).incrementAndGet();
        }
        if (response.status() < 0) {
            // The API is down (a restart): a client backs off instead of hammering it.
            LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
        }
        return response;
    }

    Map<String, Boolean> acceptedVouchers() {
        return acceptedVouchers;
    }

    /** Redemption id → payee. */
    Map<String, String> acceptedRedemptions() {
        return acceptedRedemptions;
    }

    int requestsSent() {
        return sent.get();
    }

    int requestsNotAccepted() {
        return notAccepted.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** The requests not accepted, counted by request and answer ("POST /api/redemptions: 503 TEMPORARILY_UNAVAILABLE"). */
    Map<String, Integer> requestsNotAcceptedByAnswer() {
        Map<String, Integer> counts = new TreeMap<>();
        notAccepted.forEach((reason, count) -> counts.put(reason, count.get()));
        return counts;
    }
}
