package io.qrvoucher.voucher.query;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.voucher.streams.VoucherChanges;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * Long-polls on the owner of a voucher: answers once the voucher's committed state is newer than the
 * caller's, or the request the caller asks about was refused, or the wait is over. Answers come only
 * from {@link VoucherQueries} (committed state); the topology's {@link VoucherChanges} only says when it
 * is worth looking.
 *
 * <p>Waiters are registered here, not subscribed to a timer: a store commit wakes one walk of the
 * registry (on one worker, so walks never overlap), and the walk reads a voucher for a waiter only if a
 * version it knows is coming is not yet visible to it — a version a task announced since, or one already
 * written but uncommitted when the waiter came — or within {@code refusalWindow} of a refusal (which may be
 * another request's). Every {@code idleRecheck} a walk reads for every waiter: a standby's vouchers, whose
 * changes nobody announces, are found that way. Each waiter used to be a subscriber of a shared 5 ms timer
 * with an operator chain of its own run at every tick: up to 5 ms late after each commit, and about 3 % of
 * the process's CPU spent on ticks that found nothing to do. The ingress's wait for the first claim of an
 * Idempotency-Key is kept here too ({@link #awaitClaim}), woken by the claims processed.
 */
public final class VoucherWatches implements VoucherChanges, AutoCloseable {

    /** Where a waiter reads its voucher: the owner's store ({@link VoucherQueries}), committed or not. */
    public interface VoucherLookups {

        /** The committed voucher, and the refusal of {@code requestId} (may be null) if it was refused. */
        VoucherAnswer voucher(String voucherId, String requestId);

        /** The same, with what its task wrote and has not committed yet: a sign that an answer is coming. */
        VoucherAnswer uncommittedVoucher(String voucherId, String requestId);
    }

    private final VoucherLookups queries;
    private final long refusalWindowNanos;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private final Map<String, ClaimWatch> claimWatches = new ConcurrentHashMap<>();
    /** How many store commits this instance has seen: a waiter reads again only once it has grown. */
    private final AtomicLong commits = new AtomicLong();
    /** Runs the walks one after another; a waiter's own fields are touched only there (and before it joins). */
    private final Scheduler.Worker walker;
    /** A walk is scheduled and has not started: more wake-ups until it starts are served by it. */
    private final AtomicBoolean walkPending = new AtomicBoolean();

    public VoucherWatches(VoucherLookups queries, Scheduler scheduler, Duration idleRecheck, Duration refusalWindow) {
        this.queries = queries;
        this.refusalWindowNanos = refusalWindow.toNanos();
        this.walker = scheduler.createWorker();
        // Once per idleRecheck whether anyone waits or not: with nobody waiting the walk finds nothing to do.
        walker.schedulePeriodically(() -> walk(true), idleRecheck.toNanos(), idleRecheck.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whoever waits for one voucher or key: {@code subscribers} changes only inside {@link #join} and {@link #leave}. */
    private abstract static class Joined<W extends Waiter<?>> {
        final Set<W> waiters = ConcurrentHashMap.newKeySet();
        int subscribers;
    }

    /** What the tasks announced about one voucher. */
    private static final class Watch extends Joined<ChangeWaiter> {
        private final AtomicLong announcedVersion = new AtomicLong(-1);
        private volatile long refusedAt = System.nanoTime() - Long.MAX_VALUE / 2;
    }

    /** How many claims of one Idempotency-Key or sign-in were processed while anyone waited for it. */
    private static final class ClaimWatch extends Joined<ClaimWaiter> {
        private final AtomicLong processed = new AtomicLong();
    }

    /** One long poll, answered through its sink by whoever first finds what it waits for. */
    private abstract static class Waiter<T> {
        final MonoSink<T> sink;
        /** Answered or given up: a waiter given up before it joined its watch's waiters must not stay there. */
        volatile boolean disposed;

        Waiter(MonoSink<T> sink) {
            this.sink = sink;
        }

        /** Reads if something it waits for may have become visible since its last read, or if {@code always}. */
        abstract boolean worthReading(boolean always);

        /** Reads; an answer it was waiting for if there is one, else null. */
        abstract T read();

        /** Reads if worth it and answers if it found what it waits for (or a read failed): true if answered. */
        final boolean look(boolean always) {
            if (!worthReading(always)) {
                return false;
            }
            T answer;
            try {
                answer = read();
            } catch (RuntimeException e) {
                sink.error(e);
                return true;
            }
            if (answer == null) {
                return false;
            }
            sink.success(answer);
            return true;
        }
    }

    /** What one waiter for a voucher has read so far, and what it knew was coming when it came. */
    private final class ChangeWaiter extends Waiter<VoucherAnswer> {
        private final Watch watch;
        private final String voucherId;
        private final String requestId;
        private final long afterVersion;
        private final long comingVersion;
        private final boolean refusalComing;
        private long seenVersion;
        private long commitsAtLastRead = -1;

        ChangeWaiter(Watch watch, String voucherId, String requestId, long afterVersion, VoucherAnswer uncommitted,
                     MonoSink<VoucherAnswer> sink) {
            super(sink);
            this.watch = watch;
            this.voucherId = voucherId;
            this.requestId = requestId;
            this.afterVersion = afterVersion;
            this.seenVersion = afterVersion;
            this.comingVersion = uncommitted.getVoucher() == null ? -1 : uncommitted.getVoucher().getVersion();
            this.refusalComing = uncommitted.getRefusal() != null;
        }

        @Override
        boolean worthReading(boolean always) {
            return always || (commits.get() != commitsAtLastRead && (
                    Math.max(watch.announcedVersion.get(), comingVersion) > seenVersion
                    || refusalComing
                    || (requestId != null && System.nanoTime() - watch.refusedAt < refusalWindowNanos)));
        }

        @Override
        VoucherAnswer read() {
            // Counted before the read: a commit during it makes the next walk read again.
            commitsAtLastRead = commits.get();
            VoucherAnswer answer = queries.voucher(voucherId, requestId);
            if (answer.getVoucher() != null) {
                seenVersion = Math.max(seenVersion, answer.getVoucher().getVersion());
            }
            boolean awaited = answer.getRefusal() != null
                    || (answer.getVoucher() != null && answer.getVoucher().getVersion() > afterVersion);
            return awaited ? answer : null;
        }
    }

    /** One waiter for the first claim of a key. */
    private static final class ClaimWaiter extends Waiter<ClaimAnswer> {
        private final ClaimWatch watch;
        private final Supplier<ClaimAnswer> claim;
        private long processedAtLastRead = -1;

        ClaimWaiter(ClaimWatch watch, Supplier<ClaimAnswer> claim, MonoSink<ClaimAnswer> sink) {
            super(sink);
            this.watch = watch;
            this.claim = claim;
        }

        @Override
        boolean worthReading(boolean always) {
            return always || watch.processed.get() != processedAtLastRead;
        }

        @Override
        ClaimAnswer read() {
            // Counted before the read: a claim processed during it makes the next walk read again.
            processedAtLastRead = watch.processed.get();
            ClaimAnswer answer = claim.get();
            return answer.getClaim() != null ? answer : null;
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
        if (!watches.isEmpty()) {
            wake();
        }
    }

    @Override
    public void claimed(String claimKey) {
        ClaimWatch watch = claimWatches.get(claimKey);
        if (watch != null) {
            watch.processed.incrementAndGet();
            wake();
        }
    }

    /**
     * The voucher once its version exceeds {@code afterVersion} or {@code requestId} (may be null) was
     * refused; after {@code max}, whatever it is then.
     */
    public Mono<VoucherAnswer> awaitChange(String voucherId, String requestId, long afterVersion, Duration max) {
        return Mono.<VoucherAnswer>create(sink -> {
            // Joined before the first read, so that no announcement falls between them.
            Watch watch = join(watches, voucherId, Watch::new);
            VoucherAnswer uncommitted;
            try {
                uncommitted = queries.uncommittedVoucher(voucherId, requestId);
            } catch (RuntimeException e) {
                leave(watches, voucherId);
                sink.error(e);
                return;
            }
            start(watch, new ChangeWaiter(watch, voucherId, requestId, afterVersion, uncommitted, sink),
                    () -> leave(watches, voucherId));
        }).timeout(max, Mono.fromCallable(() -> queries.voucher(voucherId, requestId)));
    }

    /**
     * The first claim of a key, once {@code read} finds one: read at once, then whenever a claim of the key was
     * processed since the last read (claims are read uncommitted), and every {@code idleRecheck}; after
     * {@code max}, as it is then. Reading at every tick instead, a claim not yet processed was looked for
     * again and again, each look a miss (RocksDB's Java binding reports a miss by throwing).
     */
    public Mono<ClaimAnswer> awaitClaim(String claimKey, Supplier<ClaimAnswer> read, Duration max) {
        return Mono.<ClaimAnswer>create(sink -> {
            ClaimWatch watch = join(claimWatches, claimKey, ClaimWatch::new);
            start(watch, new ClaimWaiter(watch, read, sink), () -> leave(claimWatches, claimKey));
        }).timeout(max, Mono.fromSupplier(read));
    }

    /** How many vouchers and keys long polls on this instance wait for now. */
    public int watched() {
        return watches.size() + claimWatches.size();
    }

    /** Stops the walks: waiters still registered are answered only by their timeouts. */
    @Override
    public void close() {
        walker.dispose();
    }

    /**
     * A waiter's first look, at once; unanswered, it joins its watch's walks, and wakes one if what it waits for
     * may have come during that look (a walk woken then may have run before the waiter was there to see).
     */
    private <W extends Waiter<?>> void start(Joined<W> watch, W waiter, Runnable leave) {
        waiter.sink.onDispose(() -> {
            waiter.disposed = true;
            watch.waiters.remove(waiter);
            leave.run();
        });
        if (!waiter.look(true)) {
            watch.waiters.add(waiter);
            if (waiter.disposed) {
                watch.waiters.remove(waiter);
            } else if (waiter.worthReading(false)) {
                wake();
            }
        }
    }

    private void wake() {
        if (walkPending.compareAndSet(false, true)) {
            walker.schedule(() -> {
                walkPending.set(false);
                walk(false);
            });
        }
    }

    /** Looks for every waiter; one answered leaves the registry through its sink's disposal. */
    private void walk(boolean always) {
        for (Watch watch : watches.values()) {
            watch.waiters.forEach(waiter -> waiter.look(always));
        }
        for (ClaimWatch watch : claimWatches.values()) {
            watch.waiters.forEach(waiter -> waiter.look(always));
        }
    }

    private static <W extends Joined<?>> W join(Map<String, W> watched, String key, Supplier<W> fresh) {
        return watched.compute(key, (id, known) -> {
            W joined = known == null ? fresh.get() : known;
            joined.subscribers++;
            return joined;
        });
    }

    private static <W extends Joined<?>> void leave(Map<String, W> watched, String key) {
        watched.computeIfPresent(key, (id, known) -> --known.subscribers == 0 ? null : known);
    }
}
