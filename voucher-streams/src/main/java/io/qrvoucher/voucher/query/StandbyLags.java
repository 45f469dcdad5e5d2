package io.qrvoucher.voucher.query;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.processor.StandbyUpdateListener;
import org.apache.kafka.streams.processor.TaskId;
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
 * judged by the last look, up to a period old. Until the first look, after a look that failed (as some do in a
 * rebalance, when copies may be rebuilt), and once a look is three periods old (one hanging on brokers that do not
 * answer), no copy is known to have caught up; nor is a copy whose update started or stopped since the last look
 * began ({@link #updates}: one wiped and rebuilt, say). The lag is to the changelog's end, past what its active task
 * has written and not yet committed, so a bound is at least what a partition's changelog takes in a commit interval
 * at the busiest.
 */
public final class StandbyLags implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StandbyLags.class);
    /** How long a look is trusted until {@link #watching} says how often they come. */
    private static final Duration TRUSTED_FOR = Duration.ofSeconds(3);

    private final long maxLag;
    private volatile Look last = new Look(Map.of(), System.nanoTime());
    private volatile long trustedForNanos = TRUSTED_FOR.toNanos();
    /**
     * When each copy's update last (re)started or stopped: no look that began before vouches for it. Kept (one entry
     * a store partition held here at most), so that a reader holding an older look still sees it.
     */
    private final Map<StorePartition, Long> changedAt = new ConcurrentHashMap<>();
    private final ScheduledExecutorService looks = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "standby-lags");
        thread.setDaemon(true);
        return thread;
    });

    /** What one look saw, the records each copy lacked by store and partition, and when it began. */
    private record Look(Map<String, Map<Integer, Long>> lags, long atNanos) {
    }

    private record StorePartition(String store, int partition) {
    }

    /** @param maxLag the most records a copy may lack of its changelog and still answer */
    public StandbyLags(long maxLag) {
        this.maxLag = maxLag;
    }

    /** Looks at the lags of {@code streams}' local stores every {@code every}, from now until closed. */
    public StandbyLags watching(KafkaStreams streams, Duration every) {
        trustedForNanos = every.multipliedBy(3).toNanos();
        looks.scheduleWithFixedDelay(() -> look(() -> offsetLags(streams.allLocalStorePartitionLags())), 0,
                every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private static Map<String, Map<Integer, Long>> offsetLags(Map<String, Map<Integer, LagInfo>> lags) {
        return lags.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, store -> store.getValue()
                .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, lag -> lag.getValue().offsetLag()))));
    }

    /** Takes one look at the lags; timed from when it began, since the copies may change while it asks. */
    void look(Supplier<Map<String, Map<Integer, Long>>> lags) {
        long began = System.nanoTime();
        Map<String, Map<Integer, Long>> seen;
        try {
            seen = lags.get();
        } catch (RuntimeException e) {
            // Not running yet, stopping, or a rebalance under way: no copy is vouched for until a look succeeds.
            seen = Map.of();
            log.debug("Could not look at the lags of the local stores: {}", e.getMessage());
        }
        last = new Look(seen, began);
    }

    /**
     * Told when a standby's copy starts updating (anew after it was wiped, say, or on another instance's return) or
     * stops (migrated, promoted): the last look no longer vouches for it, until the next look that begins after.
     */
    public StandbyUpdateListener updates() {
        return new StandbyUpdateListener() {
            @Override
            public void onUpdateStart(TopicPartition changelog, String store, long startingOffset) {
                changed(store, changelog.partition());
            }

            @Override
            public void onBatchLoaded(TopicPartition changelog, String store, TaskId task, long batchEndOffset,
                                      long batchSize, long currentEndOffset) {
            }

            @Override
            public void onUpdateSuspended(TopicPartition changelog, String store, long storeOffset, long currentEndOffset,
                                          SuspendReason reason) {
                changed(store, changelog.partition());
            }
        };
    }

    /** Keeps the latest change of a copy: two threads may tell of one copy (one suspends it, another starts it). */
    private void changed(String store, int partition) {
        changedAt.merge(new StorePartition(store, partition), System.nanoTime(),
                (before, now) -> now - before >= 0 ? now : before);
    }

    /** The records this instance's copy of a store partition lacked at the last look, or null if not known. */
    public Long lagOf(String store, int partition) {
        return lagOf(last, store, partition);
    }

    private Long lagOf(Look look, String store, int partition) {
        if (System.nanoTime() - look.atNanos() > trustedForNanos || changedSince(store, partition, look.atNanos())) {
            return null;
        }
        return look.lags().getOrDefault(store, Map.of()).get(partition);
    }

    /**
     * When the look that vouches for this copy began, or null if none does now: a reader that finds something in
     * the copy asks {@link #changedSince} that time once it has read, since the copy may start over meanwhile.
     */
    public Long vouchedSince(String store, int partition) {
        Look look = last;
        Long lag = lagOf(look, store, partition);
        return lag != null && lag <= maxLag ? look.atNanos() : null;
    }

    /** Whether the copy's update (re)started or stopped at {@code sinceNanos} ({@link System#nanoTime}) or after. */
    public boolean changedSince(String store, int partition, long sinceNanos) {
        Long at = changedAt.get(new StorePartition(store, partition));
        return at != null && at - sinceNanos >= 0;
    }

    /** Whether this instance's copy of a store partition was within the bound at the last look. */
    public boolean caughtUp(String store, int partition) {
        return vouchedSince(store, partition) != null;
    }

    public long maxLag() {
        return maxLag;
    }

    @Override
    public void close() {
        looks.shutdownNow();
    }
}
