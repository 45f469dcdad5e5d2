package io.qrvoucher.voucher.streams;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.bench.ProgressBar;
import io.qrvoucher.voucher.domain.HoldState;
import io.qrvoucher.voucher.domain.Money;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherLifecycle;
import io.qrvoucher.support.RequestSignatures;
import io.qrvoucher.voucher.domain.VoucherPolicy;
import io.qrvoucher.voucher.domain.VoucherStatus;
import io.qrvoucher.voucher.streams.VoucherTopology.ExpirySettings;

/**
 * The work of expiry: how long the real topology's punctuator takes, and how many expiry index
 * entries it reads, to expire {@code due} vouchers among {@code live} unused ones in one task's
 * stores. The voucher store is filled directly (through the driver, changelogged as in service),
 * because piping a million requests through an exactly-once driver would take hours; then the
 * task's {@link VoucherIndexes} are built from it as a starting task builds them (timed), and the
 * punctuations run exactly as in service, each committed with its outputs.
 *
 * <p>It lives in the topology's package to build the indexes with {@link Vouchers}.
 */
public final class ExpiryWork {

    public record Result(int live, int due, int maxPerPunctuation, long punctuationIntervalMs, double seedSeconds,
                         double indexBuildSeconds, int punctuations, double expirySeconds, double longestPunctuationMs, long expired,
                         long indexEntriesRead, double indexEntriesReadPerExpired) {
    }

    private static final Instant START = Instant.parse("2026-11-26T02:00:00Z");
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final int MAX_PER_PUNCTUATION = 10_000;

    private ExpiryWork() {
    }

    public static Result run(Path stateDir, int live, int due, PrintStream out) {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "expiry-benchmark");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        VoucherLifecycle lifecycle = new VoucherLifecycle(VoucherPolicy.standard(ZoneId.of("Asia/Shanghai")));
        // No request is sent, so no request is sealed: any key will do.
        RequestSignatures unused = new RequestSignatures(null, Map.of("unused", Base64.getEncoder().encodeToString(new byte[32])));
        try (TopologyTestDriver driver = new TopologyTestDriver(VoucherTopology.build(VoucherTopics.defaults(), lifecycle,
                VoucherTopology.Settings.of(new ExpirySettings(INTERVAL, MAX_PER_PUNCTUATION), unused)), config, START)) {
            // Due just after the first minute, whose sweeps (of refusals, claims, vouchers at rest) are not expiry's work:
            // they run while the clock is moved up to the due time, not in the punctuations timed.
            Instant dueAt = START.plus(Duration.ofMinutes(1)).plusSeconds(5);
            Instant endOfDay = START.plus(Duration.ofHours(14));
            long seedStarted = System.nanoTime();
            seed(driver, live, due, dueAt, endOfDay, out);
            double seedSeconds = (System.nanoTime() - seedStarted) / 1e9;
            long buildStarted = System.nanoTime();
            Vouchers.buildIndexes(driver.getKeyValueStore(VoucherTopology.VOUCHER_STORE),
                    (VoucherIndexes) driver.getStateStore(VoucherTopology.VOUCHER_INDEXES));
            double indexBuildSeconds = (System.nanoTime() - buildStarted) / 1e9;
            out.printf("    indexes built from %,d vouchers in %.2f s%n", live, indexBuildSeconds);

            // Up to the second before the due time: punctuations that find nothing due.
            driver.advanceWallClockTime(Duration.between(START, dueAt).minus(INTERVAL));
            double readBefore = total(driver, TopologyMetricNames.ENTRIES_READ_TOTAL);
            int punctuations = 0;
            long busyNanos = 0;
            ProgressBar progress = new ProgressBar(out, "expiring");
            while (total(driver, TopologyMetricNames.EXPIRED_TOTAL) < due && punctuations < 10 * (due / MAX_PER_PUNCTUATION + 1)) {
                long started = System.nanoTime();
                driver.advanceWallClockTime(INTERVAL);
                busyNanos += System.nanoTime() - started;
                punctuations++;
                progress.show((long) total(driver, TopologyMetricNames.EXPIRED_TOTAL), due);
            }
            long expired = (long) total(driver, TopologyMetricNames.EXPIRED_TOTAL);
            long read = (long) (total(driver, TopologyMetricNames.ENTRIES_READ_TOTAL) - readBefore);
            double longestMs = TopologyMetricNames.values(driver.metrics(), TopologyMetricNames.PUNCTUATION_MAX, Map.of())
                    .max().orElse(0) / 1e6;
            progress.done(String.format("%,d of %,d live vouchers expired in %d punctuations, %.2f s; %,d index entries read",
                    expired, live, punctuations, busyNanos / 1e9, read));
            return new Result(live, due, MAX_PER_PUNCTUATION, INTERVAL.toMillis(), seedSeconds, indexBuildSeconds, punctuations,
                    busyNanos / 1e9, longestMs, expired, read, expired == 0 ? 0 : (double) read / expired);
        }
    }

    /** {@code live} unused vouchers, every {@code live / due}-th of them due at {@code dueAt}. */
    private static void seed(TopologyTestDriver driver, int live, int due, Instant dueAt, Instant endOfDay, PrintStream out) {
        KeyValueStore<String, byte[]> vouchers = driver.getKeyValueStore(VoucherTopology.VOUCHER_STORE);
        int every = live / due;
        ProgressBar progress = new ProgressBar(out, "seeding vouchers");
        for (int i = 0; i < live; i++) {
            String id = String.format("voucher-%08d", i);
            Voucher voucher = new Voucher(id, "customer-" + i % 1000, "account-" + i % 1000, new Money(100, "CNY"),
                    "hash-of-" + id, VoucherStatus.UNUSED, HoldState.HELD, START,
                    i % every == 0 ? dueAt : endOfDay, START, 2, "request-" + id, null, null, null);
            vouchers.put(id, Vouchers.STATES.encode(AvroMapping.toAvro(voucher)));
            progress.show(i + 1, live);
        }
        progress.done(String.format("%,d unused vouchers, %,d of them due", live, due));
    }

    private static double total(TopologyTestDriver driver, String metric) {
        return TopologyMetricNames.values(driver.metrics(), metric, Map.of()).sum();
    }
}
