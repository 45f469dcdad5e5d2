package io.qrvoucher.voucher.query;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.qrvoucher.avro.query.ClaimAnswer;
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
 * every tick until the version shows, saves the reads that could only find the state unchanged. The
 * ingress's wait for the first claim of an Idempotency-Key is kept here too ({@link #awaitClaim}).
 */
public final class VoucherWatches implements VoucherChanges {

    /** Where a waiter reads its voucher: the owner's store ({@link VoucherQueries}), committed or not. */
    public interface VoucherLookups {

        /** The committed voucher, and the refusal of {@code requestId} (may be null) if it was refused. */
        VoucherAnswer voucher(String voucherId, String requestId);

        /** The same, with what its task wrote and has not committed yet: a sign that an answer is coming. */
        VoucherAnswer uncommittedVoucher(String voucherId, String requestId);
    }

    private final VoucherLookups queries;
    private final Ticks ticks;
    private final long idleRecheckTicks;
    private final long refusalWindowNanos;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private final Map<String, ClaimWatch> claimWatches = new ConcurrentHashMap<>();
    /** How many store commits this instance has seen: a waiter reads again only once it has grown. */
    private final AtomicLong commits = new AtomicLong();

    public VoucherWatches(VoucherLookups queries, Ticks ticks, Duration idleRecheck, Duration refusalWindow) {
        this.queries = queries;
        this.ticks = ticks;
        this.idleRecheckTicks = Math.max(1, idleRecheck.toNanos() / ticks.period().toNanos());
        this.refusalWindowNanos = refusalWindow.toNanos();
    }

    /** Watched while anyone waits: {@code subscribers} changes only inside {@link #join} and {@link #leave}. */
    private abstract static class Joined {
        int subscribers;
    }

    /** What the tasks announced about one voucher. */
    private static final class Watch extends Joined {
        private final AtomicLong announcedVersion = new AtomicLong(-1);
        private volatile long refusedAt = System.nanoTime() - Long.MAX_VALUE / 2;
    }

    /** How many claims of one Idempotency-Key or sign-in were processed while anyone waited for it. */
    private static final class ClaimWatch extends Joined {
        private final AtomicLong processed = new AtomicLong();
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

    @Override
    public void claimed(String claimKey) {
        ClaimWatch watch = claimWatches.get(claimKey);
        if (watch != null) {
            watch.processed.incrementAndGet();
        }
    }

    /**
     * The voucher once its version exceeds {@code afterVersion} or {@code requestId} (may be null) was
     * refused; after {@code max}, whatever it is then.
     */
    public Mono<VoucherAnswer> awaitChange(String voucherId, String requestId, long afterVersion, Duration max) {
        return Mono.defer(() -> {
            // Joined before the first read, so that no announcement falls between them; left if the read fails.
            Watch watch = join(watches, voucherId, Watch::new);
            Waiter waiter;
            try {
                waiter = new Waiter(afterVersion, queries.uncommittedVoucher(voucherId, requestId));
            } catch (RuntimeException e) {
                leave(watches, voucherId);
                throw e;
            }
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
                    .doFinally(signal -> leave(watches, voucherId));
        });
    }

    /**
     * The first claim of a key, once {@code read} finds one: read at once, then whenever a claim of the key was
     * processed since the last read (claims are read uncommitted), and every {@code idleRecheck}; after
     * {@code max}, as it is then. Reading at every tick instead, a claim not yet processed was looked for
     * again and again, each look a miss (RocksDB's Java binding reports a miss by throwing).
     */
    public Mono<ClaimAnswer> awaitClaim(String claimKey, Supplier<ClaimAnswer> read, Duration max) {
        return Mono.defer(() -> {
            ClaimWatch watch = join(claimWatches, claimKey, ClaimWatch::new);
            long[] processedAtLastRead = {-1};
            return ticks.fromNow()
                    .filter(count -> count % idleRecheckTicks == 0 || watch.processed.get() != processedAtLastRead[0])
                    .map(count -> {
                        // Counted before the read: a claim processed during it makes the next tick read again.
                        processedAtLastRead[0] = watch.processed.get();
                        return read.get();
                    })
                    .filter(answer -> answer.getClaim() != null)
                    .next()
                    .timeout(max, Mono.fromSupplier(read))
                    .doFinally(signal -> leave(claimWatches, claimKey));
        });
    }

    /** How many vouchers and keys long polls on this instance wait for now. */
    public int watched() {
        return watches.size() + claimWatches.size();
    }

    private static <W extends Joined> W join(Map<String, W> watched, String key, Supplier<W> fresh) {
        return watched.compute(key, (id, known) -> {
            W joined = known == null ? fresh.get() : known;
            joined.subscribers++;
            return joined;
        });
    }

    private static <W extends Joined> void leave(Map<String, W> watched, String key) {
        watched.computeIfPresent(key, (id, known) -> --known.subscribers == 0 ? null : known);
    }
}
