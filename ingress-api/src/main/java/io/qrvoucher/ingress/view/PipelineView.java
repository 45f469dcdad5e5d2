package io.qrvoucher.ingress.view;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import io.qrvoucher.avro.IdempotencyClaim;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * What this ingress instance still reads from a topic: the claims of Idempotency-Keys and sign-ins,
 * for the claim window. Vouchers, settings and accounts are read from their owners
 * ({@link io.qrvoucher.ingress.reads.VoucherReads}, {@link io.qrvoucher.ingress.reads.AccountReads}).
 * One thread ({@link ViewUpdater}) writes; request threads read and wait for changes without blocking.
 */
public class PipelineView {

    private final Map<String, IdempotencyClaim> firstClaims = new ConcurrentHashMap<>();
    private final Map<Integer, Long> claimPositions = new ConcurrentHashMap<>();
    private final Sinks.Many<String> changes = Sinks.many().multicast().directBestEffort();
    private final Duration claimWindow;
    private final Clock clock;

    /**
     * @param claimWindow how long a claim of an Idempotency-Key or a sign-in holds: the claims topic
     *                    keeps its records at least that long, and an instance that starts later must
     *                    not know claims the others have forgotten
     */
    public PipelineView(Duration claimWindow, Clock clock) {
        this.claimWindow = claimWindow;
        this.clock = clock;
    }

    // ---- reads ----

    /** The first claim of a key within the claim window, if any. */
    public Optional<IdempotencyClaim> firstClaim(String customerId, String idempotencyKey) {
        Instant oldestHeld = oldestClaimHeld();
        return Optional.ofNullable(firstClaims.get(claimKey(customerId, idempotencyKey)))
                .filter(claim -> !claim.getClaimedAt().isBefore(oldestHeld));
    }

    // ---- waiting for changes ----

    /** Completes once this instance has read the idempotency topic's partition past {@code offset}. */
    public Mono<Void> awaitClaimsRead(int partition, long offset) {
        return awaitUntil(() -> claimPositions.getOrDefault(partition, 0L) > offset);
    }

    /** Completes once a change to the claims makes {@code condition} true (or it already is). */
    public Mono<Void> awaitUntil(BooleanSupplier condition) {
        return Flux.merge(changes.asFlux(), Mono.just(""))
                .filter(ignored -> condition.getAsBoolean())
                .next()
                .then();
    }

    // ---- writes, from the view updater's thread only ----

    /**
     * The first claim of a key stays first for the claim window; a claim made after it has passed is
     * the key's new first claim. Decided by the claims' own times, so every instance decides alike.
     */
    void apply(IdempotencyClaim claim) {
        firstClaims.merge(claimKey(claim.getCustomerId(), claim.getIdempotencyKey()), claim,
                (first, later) -> later.getClaimedAt().isAfter(first.getClaimedAt().plus(claimWindow)) ? later : first);
    }

    /** Drops the claims older than the claim window, which no read returns any more. */
    void forgetExpiredClaims() {
        Instant oldestHeld = oldestClaimHeld();
        firstClaims.values().removeIf(claim -> claim.getClaimedAt().isBefore(oldestHeld));
    }

    private Instant oldestClaimHeld() {
        return clock.instant().minus(claimWindow);
    }

    /** Claims of Idempotency-Keys and sign-ins held in memory, within the claim window or not yet purged. */
    public int claimsHeld() {
        return firstClaims.size();
    }

    /** Called after every poll; wakes the waiters only when the claims partition was read further. */
    void claimsReadUpTo(int partition, long nextOffset) {
        Long before = claimPositions.get(partition);
        if (before == null || nextOffset > before) {
            claimPositions.put(partition, nextOffset);
            changes.tryEmitNext("");
        }
    }

    private static String claimKey(String customerId, String idempotencyKey) {
        return customerId + "\n" + idempotencyKey;
    }
}
