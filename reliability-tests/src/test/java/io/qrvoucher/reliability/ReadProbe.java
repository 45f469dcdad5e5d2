package io.qrvoucher.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads a few vouchers over and over through the ingress instances while a fault happens, and keeps
 * what it saw: how many reads were answered with the voucher, and, per voucher, the longest time from a
 * read that was not answered to the next one that was. The vouchers are made first, so that they lie in
 * every partition.
 */
final class ReadProbe implements AutoCloseable {

    private static final Duration PAUSE = Duration.ofMillis(50);

    private final Api api;
    private final String token;
    private final List<String> voucherIds = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private final Map<String, Long> unansweredSince = new HashMap<>();
    /** What the unanswered reads got: their status, with the problem's code where there was one (-1: no answer). */
    private final Map<String, Integer> misses = new TreeMap<>();
    private int reads;
    private int unanswered;
    private long longestUnansweredNanos;

    private ReadProbe(Api api, String token, int vouchers) {
        this.api = api;
        this.token = token;
        for (int i = 0; i < vouchers; i++) {
            Api.Response issued = api.send("POST", "/api/vouchers", token, "wait=10",
                    Map.of("accountId", "alice-cny", "amount", "0.01", "currency", "CNY"));
            if (issued.ok() && issued.string("id") != null) {
                voucherIds.add(issued.string("id"));
            }
        }
        if (voucherIds.isEmpty()) {
            throw new IllegalStateException("The probe could not make its vouchers");
        }
        thread = new Thread(this::run, "read-probe");
        thread.start();
    }

    /** Starts reading alice's vouchers, made now, until closed. */
    static ReadProbe start(Api api, String aliceToken, int vouchers) {
        return new ReadProbe(api, aliceToken, vouchers);
    }

    private void run() {
        int next = 0;
        while (running.get()) {
            String id = voucherIds.get(next++ % voucherIds.size());
            Api.Response read = api.send("GET", "/api/vouchers/" + id, token, null, null);
            record(id, read.ok() && id.equals(read.string("id")) ? null : missOf(read));
            LockSupport.parkNanos(PAUSE.toNanos()); // the probe's pace
        }
    }

    private static String missOf(Api.Response read) {
        String code = read.string("code");
        return code == null ? Integer.toString(read.status()) : read.status() + " " + code;
    }

    /** @param miss what an unanswered read got; {@code null} for a read answered with the voucher */
    private synchronized void record(String voucherId, String miss) {
        reads++;
        long now = System.nanoTime();
        if (miss == null) {
            Long since = unansweredSince.remove(voucherId);
            if (since != null) {
                longestUnansweredNanos = Math.max(longestUnansweredNanos, now - since);
            }
            return;
        }
        unanswered++;
        misses.merge(miss, 1, Integer::sum);
        unansweredSince.putIfAbsent(voucherId, now);
    }

    synchronized int reads() {
        return reads;
    }

    synchronized int unanswered() {
        return unanswered;
    }

    /** Reads answered 404: the voucher said not to exist, though it does. */
    synchronized int notFound() {
        return misses.entrySet().stream().filter(miss -> miss.getKey().startsWith("404"))
                .mapToInt(Map.Entry::getValue).sum();
    }

    /** The longest time, over the vouchers, from a read that was not answered to the next one that was. */
    synchronized Duration longestUnanswered() {
        long now = System.nanoTime();
        long stillOpen = unansweredSince.values().stream().mapToLong(since -> now - since).max().orElse(0);
        return Duration.ofNanos(Math.max(longestUnansweredNanos, stillOpen));
    }

    synchronized String summary() {
        return String.format("%d of %d reads unanswered%s; a voucher unreadable for %.1f s at most", unanswered, reads,
                misses.isEmpty() ? "" : " " + misses, longestUnanswered().toMillis() / 1000.0);
    }

    @Override
    public void close() {
        running.set(false);
        try {
            thread.join(Duration.ofSeconds(40).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
