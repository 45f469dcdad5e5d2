package io.qrvoucher.voucher.query;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.voucher.streams.VoucherChanges;
import reactor.core.publisher.Mono;

/**
 * Long-polls on the owner of a voucher: answers once the voucher's committed state is newer than the
 * caller's, or the request the caller asks about was refused, or the wait is over. Answers come only
 * from {@link VoucherQueries} (committed state); the topology's {@link VoucherChanges} only says when it
 * is worth looking. A waiter reads the voucher at the first of the instance's {@link Ticks} after a store
 * commit while a version it knows is coming is not yet visible to it — a version a task announced since,
 * or one already written but uncommitted when the waiter came — and within {@code refusalWindow} of a
 * refusal (which may be another request's); otherwise every {@code idleRecheck} (a standby's vouchers,
 * whose changes nobody announces, are read that often). Reading only after a commit, rather than at
 * every tick until the version shows, saves the reads that could only find the state unchanged.
 */
public final class VoucherWatches implements VoucherChanges {

    private final VoucherQueries queries;
    private final Ticks ticks;
    private final long idleRecheckTicks;
    private final long refusalWindowNanos;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    /** How many store commits this instance has seen: a waiter reads again only once it has grown. */
    private final AtomicLong commits = new AtomicLong();

    public VoucherWatches(VoucherQueries queries, Ticks ticks, Duration idleRecheck, Duration refusalWindow) {
        this.queries = queries;
        this.ticks = ticks;
        this.idleRecheckTicks = Math.max(1, idleRecheck.toNanos() / ticks.period().toNanos());
        this.refusalWindowNanos = refusalWindow.toNanos();
    }

    /** What the tasks announced about one voucher; {@code subscribers} changes only inside {@code watches.compute}. */
    private static final class Watch {
        private final AtomicLong announcedVersion = new AtomicLong(-1);
        private volatile long refusedAt = System.nanoTime() - Long.MAX_VALUE / 2;
        private int subscribers;
    }

    /** What one waiter has read so far, and what it knew was coming when it came. */
    private static final class Waiter {
        private final long comingVersion;
        private final boolean refusalComing;
        private long seenVersion;
        private long commitsAtLastRead = -1;

        Waiter(long seenVersion, VoucherAnswer uncommitted) {
            this.seenVersion = seenVersion;
            this.comingVersion = uncommitted.getVoucher() == null ? -1 : uncommitted.getVoucher().getVersion();
            this.refusalComing = uncommitted.getRefusal() != null;
        }
    }

    @Override
    public void changed(String voucherId, long version) {
        Watch watch = watches.get(voucherId);
        if (watch != null) {
            watch.announcedVersion.accumulateAndGet(version, Math::max);
        }
    }

    @Override
    public void refused(String voucherId) {
        Watch watch = watches.get(voucherId);
        if (watch != null) {
            watch.refusedAt = System.nanoTime();
        }
    }

    @Override
    public void committed() {
        commits.incrementAndGet();
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
            Waiter waiter = new Waiter(afterVersion, queries.uncommittedVoucher(voucherId, requestId));
            return ticks.fromNow()
                    .filter(count -> count % idleRecheckTicks == 0
                            || (commits.get() != waiter.commitsAtLastRead && (
                                    Math.max(watch.announcedVersion.get(), waiter.comingVersion) > waiter.seenVersion
                                    || waiter.refusalComing
                                    || (requestId != null && System.nanoTime() - watch.refusedAt < refusalWindowNanos))))
                    .map(count -> {
                        // Counted before the read: a commit during it makes the next tick read again.
                        waiter.commitsAtLastRead = commits.get();
                        return queries.voucher(voucherId, requestId);
                    })
                    .doOnNext(answer -> {
                        if (answer.getVoucher() != null) {
                            waiter.seenVersion = Math.max(waiter.seenVersion, answer.getVoucher().getVersion());
                        }
                    })
                    .filter(answer -> answer.getRefusal() != null
                            || (answer.getVoucher() != null && answer.getVoucher().getVersion() > afterVersion))
                    .next()
                    .timeout(max, Mono.fromCallable(() -> queries.voucher(voucherId, requestId)))
                    .doFinally(signal -> watches.computeIfPresent(voucherId,
                            (id, known) -> --known.subscribers == 0 ? null : known));
        });
    }
}
