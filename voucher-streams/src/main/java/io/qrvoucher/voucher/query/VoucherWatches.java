package io.qrvoucher.voucher.query;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.voucher.streams.VoucherChanges;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Long-polls on the owner of a voucher: answers once the voucher's committed state is newer than the
 * caller's, or the request the caller asks about was refused, or the wait is over. Answers come only
 * from {@link VoucherQueries} (committed state); the topology's {@link VoucherChanges} only says when it
 * is worth looking: a voucher a task just changed is looked at every {@code tick} until its transaction
 * has had time to commit, any other watched voucher every {@code idleRecheck} (a standby, whose changes
 * nobody announces, is read that often).
 */
public final class VoucherWatches implements VoucherChanges {

    private final VoucherQueries queries;
    private final Duration tick;
    private final long idleRecheckTicks;
    private final long changeWindowNanos;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();

    /**
     * @param changeWindow how long after a change the voucher is looked at every tick: a few commit intervals
     */
    public VoucherWatches(VoucherQueries queries, Duration tick, Duration idleRecheck, Duration changeWindow) {
        this.queries = queries;
        this.tick = tick;
        this.idleRecheckTicks = Math.max(1, idleRecheck.toNanos() / tick.toNanos());
        this.changeWindowNanos = changeWindow.toNanos();
    }

    /** The watchers of one voucher; {@code subscribers} changes only inside {@code watches.compute}. */
    private static final class Watch {
        private volatile long changedAt = System.nanoTime();
        private int subscribers;
    }

    @Override
    public void changed(String voucherId) {
        Watch watch = watches.get(voucherId);
        if (watch != null) {
            watch.changedAt = System.nanoTime();
        }
    }

    /**
     * The voucher once its version exceeds {@code afterVersion} or {@code requestId} (may be null) was
     * refused; after {@code max}, whatever it is then.
     */
    public Mono<VoucherAnswer> awaitChange(String voucherId, String requestId, long afterVersion, Duration max) {
        return Mono.defer(() -> {
            Watch watch = watches.compute(voucherId, (id, known) -> {
                Watch joined = known == null ? new Watch() : known;
                joined.subscribers++;
                return joined;
            });
            return Flux.interval(Duration.ZERO, tick)
                    .filter(count -> count % idleRecheckTicks == 0
                            || System.nanoTime() - watch.changedAt < changeWindowNanos)
                    .map(count -> queries.voucher(voucherId, requestId))
                    .filter(answer -> answer.getRefusal() != null
                            || (answer.getVoucher() != null && answer.getVoucher().getVersion() > afterVersion))
                    .next()
                    .timeout(max, Mono.fromCallable(() -> queries.voucher(voucherId, requestId)))
                    .doFinally(signal -> watches.computeIfPresent(voucherId,
                            (id, known) -> --known.subscribers == 0 ? null : known));
        });
    }

    /** Vouchers somebody waits for now. */
    public int watched() {
        return watches.size();
    }
}
