package io.qrvoucher.voucher.query;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.AttemptsAnswer;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import io.qrvoucher.voucher.streams.CustomerVoucherIndex;
import io.qrvoucher.voucher.streams.VoucherTopology;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * This instance's answers to the ingress's reads, from its stores: what its internal HTTP API serves, and
 * what an ingress in the same process calls directly.
 */
public final class StoreReads implements VoucherStreamsReads {

    /** The most attempts one read answers: far above any limit, so that a read stays small. */
    private static final int MAX_ATTEMPTS = 1000;
    private static final Duration MAX_WAIT = Duration.ofSeconds(60);

    private final VoucherQueries queries;
    private final VoucherWatches watches;
    private final Ticks ticks;
    private final Duration claimsHeld;

    public StoreReads(VoucherQueries queries, VoucherWatches watches, Ticks ticks, Duration claimWindow) {
        this.queries = queries;
        this.watches = watches;
        this.ticks = ticks;
        this.claimsHeld = VoucherTopology.claimsHeld(claimWindow);
    }

    @Override
    public Mono<VoucherAnswer> voucher(String voucherId, String requestId, long afterVersion, Duration wait) {
        return isWait(wait)
                ? watches.awaitChange(voucherId, requestId, afterVersion, min(wait, MAX_WAIT))
                : Mono.fromCallable(() -> queries.voucher(voucherId, requestId));
    }

    @Override
    public Mono<VoucherPage> vouchersOf(String customerId, Role role, Instant from, Instant to,
                                        Set<VoucherStatus> statuses, String after, int skip, int size) {
        CustomerVoucherIndex.Role indexed = CustomerVoucherIndex.Role.valueOf(role.name());
        return Mono.fromCallable(() -> queries.vouchersOf(customerId, indexed, from, to, statuses, after, skip, size))
                .subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public Mono<SettingsAnswer> settings(String customerId, long afterOffset, Duration wait) {
        return readOrAwait(() -> queries.settings(customerId),
                found -> found.getSettings() != null && found.getSettings().getChangeOffset() >= afterOffset, wait);
    }

    @Override
    public Mono<ClaimAnswer> claim(String claimKey, Duration wait) {
        Supplier<ClaimAnswer> read = () -> queries.claim(claimKey, Instant.now().minus(claimsHeld));
        return isWait(wait) ? watches.awaitClaim(claimKey, read, min(wait, MAX_WAIT)) : Mono.fromSupplier(read);
    }

    @Override
    public Mono<AttemptsAnswer> attempts(String customerId, AttemptKind kind, Instant since, int max) {
        if (max < 1 || max > MAX_ATTEMPTS) {
            return Mono.error(new BadParameter("max must be between 1 and " + MAX_ATTEMPTS));
        }
        return Mono.fromCallable(() -> queries.attempts(customerId, kind, since, max));
    }

    /**
     * A read now; with a wait, the first read that is {@code wanted}, at the latest the read after the wait.
     * A customer waiting for their own settings change reads at every tick: nobody announces those, and such
     * waits are rare and short.
     */
    private <T> Mono<T> readOrAwait(Supplier<T> read, Predicate<T> wanted, Duration wait) {
        Mono<T> now = Mono.fromSupplier(read);
        if (!isWait(wait)) {
            return now;
        }
        return ticks.fromNow()
                .map(tick -> read.get())
                .filter(wanted)
                .next()
                .timeout(min(wait, MAX_WAIT), now);
    }

    private static boolean isWait(Duration wait) {
        return !wait.isZero() && !wait.isNegative();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
