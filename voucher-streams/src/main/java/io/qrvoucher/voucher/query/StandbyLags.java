package io.qrvoucher.voucher.query;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far this instance's copies of each store partition are behind their changelogs, as of the last look: a
 * standby answers reads only while it is within {@code maxLag} records of its changelog's end. One that has caught up
 * is a commit or so behind its active task; one still catching up (a new instance's warm-up copy, or one restarted
 * from an old checkpoint) would answer as far back as it is, a voucher redeemed since as UNUSED with its code.
 *
 * <p>Kafka Streams tells lags only when asked ({@link KafkaStreams#allLocalStorePartitionLags}, one request to the
 * brokers for every changelog held here), so they are looked at every {@code every}, not at each read: a copy is
 * judged by the last look, up to a period old (a copy wiped and rebuilt since is vouched for until the next). Until
 * the first look, after a look that failed (as some do in a rebalance, when copies may be rebuilt), and once a look
 * is three periods old (one hanging on brokers that do not answer), no copy is known to have caught up. The lag is to the changelog's end, past what its active task has written and not yet committed, so a
 * bound is at least what a partition's changelog takes in a commit interval at the busiest.
 */
public final class StandbyLags implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StandbyLags.class);

    private final long maxLag;
    private volatile Look last = new Look(Map.of(), System.nanoTime());
    private volatile long trustedForNanos;
    private final ScheduledExecutorService looks = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "standby-lags");
        thread.setDaemon(true);
        return thread;
    });

    /** What one look saw, and when ({@link System#nanoTime}: the wall clock may step). */
    private record Look(Map<String, Map<Integer, LagInfo>> lags, long atNanos) {
    }

    /** @param maxLag the most records a copy may lack of its changelog and still answer */
    public StandbyLags(long maxLag) {
        this.maxLag = maxLag;
    }

    /** Looks at the lags of {@code streams}' local stores every {@code every}, from now until closed. */
    public StandbyLags watching(KafkaStreams streams, Duration every) {
        trustedForNanos = every.multipliedBy(3).toNanos();
        looks.scheduleWithFixedDelay(() -> look(streams), 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void look(KafkaStreams streams) {
        try {
            last = new Look(streams.allLocalStorePartitionLags(), System.nanoTime());
        } catch (RuntimeException e) {
            // Not running yet, stopping, or a rebalance under way: no copy is vouched for until a look succeeds.
            last = new Look(Map.of(), System.nanoTime());
            log.debug("Could not look at the lags of the local stores: {}", e.getMessage());
        }
    }

    /** The records this instance's copy of a store partition lacked at the last look, or null if not known. */
    public Long lagOf(String store, int partition) {
        Look look = last;
        if (System.nanoTime() - look.atNanos() > trustedForNanos) {
            return null;
        }
        LagInfo lag = look.lags().getOrDefault(store, Map.of()).get(partition);
        return lag == null ? null : lag.offsetLag();
    }

    /** Whether this instance's copy of a store partition was within the bound at the last look. */
    public boolean caughtUp(String store, int partition) {
        Long lag = lagOf(store, partition);
        return lag != null && lag <= maxLag;
    }

    public long maxLag() {
        return maxLag;
    }

    @Override
    public void close() {
        looks.shutdownNow();
    }
}
