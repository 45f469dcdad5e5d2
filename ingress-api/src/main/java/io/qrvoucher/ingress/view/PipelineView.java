package io.qrvoucher.ingress.view;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * What the pipeline has published, materialized in this ingress instance: vouchers with an index
 * per payer and per payee ordered by time, redemptions, accounts, settings and idempotency claims.
 * Every instance reads every partition of the same topics, so every instance converges to the same
 * view. One thread ({@link ViewUpdater}) writes; request threads read and wait for changes without
 * blocking.
 */
public class PipelineView {

    /** Newest first, then by id: the order of a customer's voucher list. */
    private static final Comparator<IndexKey> NEWEST_FIRST =
            Comparator.comparing(IndexKey::at, Comparator.reverseOrder()).thenComparing(IndexKey::voucherId);

    private final Map<String, VoucherState> vouchers = new ConcurrentHashMap<>();
    private final Map<String, NavigableMap<IndexKey, String>> byPayer = new ConcurrentHashMap<>();
    private final Map<String, NavigableMap<IndexKey, String>> byPayee = new ConcurrentHashMap<>();
    private final Map<String, RedemptionView> redemptions = new ConcurrentHashMap<>();
    private final Map<String, VoucherEvent> refusals = new ConcurrentHashMap<>();
    private final Map<String, AccountSnapshot> accounts = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> accountsByOwner = new ConcurrentHashMap<>();
    private final Map<String, CustomerSettings> settings = new ConcurrentHashMap<>();
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

    /** A change of a voucher, its redemption, or a refusal of a request about it. */
    public record Change(String voucherId, VoucherState state, VoucherEvent event) {
    }

    /**
     * Who waits for which voucher. A change is handed only to the watchers of its voucher, so its cost
     * does not grow with the number of requests waiting for other vouchers.
     */
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();

    /** The watchers of one voucher; {@code subscribers} is changed only inside {@code watches.compute}. */
    private static final class Watch {
        private final Sinks.Many<Change> changes = Sinks.many().multicast().directBestEffort();
        private int subscribers;
    }

    public record IndexKey(Instant at, String voucherId) {
    }

    // ---- reads ----

    public Optional<VoucherState> voucher(String voucherId) {
        return Optional.ofNullable(vouchers.get(voucherId));
    }

    public Optional<RedemptionView> redemption(String redemptionId) {
        return Optional.ofNullable(redemptions.get(redemptionId));
    }

    /** The refusal of a request, if the topology refused it. */
    public Optional<VoucherEvent> refusal(String requestId) {
        return Optional.ofNullable(refusals.get(requestId));
    }

    public Optional<AccountSnapshot> account(String accountId) {
        return Optional.ofNullable(accounts.get(accountId));
    }

    public List<AccountSnapshot> accountsOf(String customerId) {
        return accountsByOwner.getOrDefault(customerId, Set.of()).stream()
                .map(accounts::get)
                .sorted(Comparator.comparing(AccountSnapshot::getAccountId))
                .toList();
    }

    public Optional<CustomerSettings> settings(String customerId) {
        return Optional.ofNullable(settings.get(customerId));
    }

    /** The first claim of a key within the claim window, if any. */
    public Optional<IdempotencyClaim> firstClaim(String customerId, String idempotencyKey) {
        Instant oldestHeld = oldestClaimHeld();
        return Optional.ofNullable(firstClaims.get(claimKey(customerId, idempotencyKey)))
                .filter(claim -> !claim.getClaimedAt().isBefore(oldestHeld));
    }

    /**
     * A page of a customer's vouchers as payer (by creation time) or payee (by redemption time),
     * newest first. Reads the customer's own index, only within the time range.
     */
    public Page<VoucherState> list(String customerId, boolean asPayer, Predicate<VoucherState> filter,
                                   Instant from, Instant to, int page, int size) {
        NavigableMap<IndexKey, String> index = (asPayer ? byPayer : byPayee).getOrDefault(customerId, new ConcurrentSkipListMap<>(NEWEST_FIRST));
        // Newest first, so the range runs from just before "to" (exclusive) down to "from" (inclusive).
        NavigableMap<IndexKey, String> range = index.subMap(
                new IndexKey(to.minusNanos(1), ""), true, new IndexKey(from.minusNanos(1), ""), false);
        List<VoucherState> items = new ArrayList<>(size);
        int skip = page * size;
        boolean more = false;
        for (String voucherId : range.values()) {
            VoucherState voucher = vouchers.get(voucherId);
            if (voucher == null || !filter.test(voucher)) {
                continue;
            }
            if (skip > 0) {
                skip--;
            } else if (items.size() < size) {
                items.add(voucher);
            } else {
                more = true;
                break;
            }
        }
        return new Page<>(items, page, size, more);
    }

    public record Page<T>(List<T> items, int page, int size, boolean hasMore) {
    }

    // ---- waiting for changes ----

    /** The first value {@code check} finds, re-checked on every change of the voucher, or empty after {@code max}. */
    public <T> Mono<T> await(String voucherId, Supplier<Optional<T>> check, Duration max) {
        Flux<Object> triggers = Flux.merge(watch(voucherId), Mono.just(voucherId));
        return triggers.map(trigger -> check.get())
                .filter(Optional::isPresent)
                .map(Optional::get)
                .next()
                .timeout(max, Mono.empty());
    }

    /** Every change of one voucher from now on: for live status. */
    public Flux<Change> changesOf(String voucherId) {
        return watch(voucherId).onBackpressureBuffer(256);
    }

    private Flux<Change> watch(String voucherId) {
        return Flux.defer(() -> {
            Watch watch = watches.compute(voucherId, (id, known) -> {
                Watch joined = known == null ? new Watch() : known;
                joined.subscribers++;
                return joined;
            });
            return watch.changes.asFlux().doFinally(signal -> watches.computeIfPresent(voucherId,
                    (id, known) -> --known.subscribers == 0 ? null : known));
        });
    }

    private void changed(Change change) {
        Watch watch = watches.get(change.voucherId());
        if (watch != null) {
            watch.changes.tryEmitNext(change);
        }
    }

    /** Vouchers somebody waits for now: for tests, and to see that waits end. */
    int watchedVouchers() {
        return watches.size();
    }

    /** Completes once this instance has read the idempotency topic's partition past {@code offset}. */
    public Mono<Void> awaitClaimsRead(int partition, long offset) {
        return awaitUntil(() -> claimPositions.getOrDefault(partition, 0L) > offset);
    }

    /** Completes once a change to accounts, settings or claims makes {@code condition} true (or it already is). */
    public Mono<Void> awaitUntil(BooleanSupplier condition) {
        return Flux.merge(changes.asFlux(), Mono.just(""))
                .filter(ignored -> condition.getAsBoolean())
                .next()
                .then();
    }

    // ---- writes, from the view updater's thread only ----

    void apply(VoucherState state) {
        VoucherState previous = vouchers.get(state.getVoucherId());
        if (previous != null && previous.getVersion() > state.getVersion()) {
            return;
        }
        vouchers.put(state.getVoucherId(), state);
        index(byPayer, state.getPayerCustomerId(), state.getCreatedAt(), state.getVoucherId());
        if (state.getRedemption() != null) {
            index(byPayee, state.getRedemption().getPayeeCustomerId(), state.getRedemption().getRequestedAt(),
                    state.getVoucherId());
            redemptions.compute(state.getRedemption().getRequestId(),
                    (id, known) -> RedemptionView.of(state, known));
        }
        changed(new Change(state.getVoucherId(), state, null));
    }

    void apply(VoucherEvent event) {
        if (event.getType() == VoucherEventType.REQUEST_REFUSED && event.getRequestId() != null) {
            refusals.put(event.getRequestId(), event);
            redemptions.computeIfPresent(event.getRequestId(), (id, known) -> known.refused(event.getReason()));
            changed(new Change(event.getVoucherId(), null, event));
        }
    }

    void apply(VoucherRequest request) {
        if (request.getBody() instanceof RedeemVoucher redeem) {
            // The topics are read in no particular order relative to each other: when the view is
            // rebuilt, a redemption's outcome may have been read before the redemption itself.
            RedemptionView requested = RedemptionView.requested(request, redeem);
            VoucherEvent refusal = refusals.get(request.getRequestId());
            VoucherState voucher = vouchers.get(request.getVoucherId());
            if (refusal != null) {
                requested = requested.refused(refusal.getReason());
            } else if (voucher != null && voucher.getRedemption() != null
                    && voucher.getRedemption().getRequestId().equals(request.getRequestId())) {
                requested = RedemptionView.of(voucher, requested);
            }
            redemptions.putIfAbsent(request.getRequestId(), requested);
            changed(new Change(request.getVoucherId(), null, null));
        }
    }

    void apply(AccountSnapshot snapshot) {
        AccountSnapshot previous = accounts.get(snapshot.getAccountId());
        if (previous != null && previous.getVersion() > snapshot.getVersion()) {
            return;
        }
        accounts.put(snapshot.getAccountId(), snapshot);
        accountsByOwner.computeIfAbsent(snapshot.getOwnerCustomerId(), owner -> ConcurrentHashMap.newKeySet())
                .add(snapshot.getAccountId());
        changes.tryEmitNext(snapshot.getAccountId());
    }

    void apply(CustomerSettings customerSettings) {
        settings.merge(customerSettings.getCustomerId(), customerSettings,
                (known, incoming) -> incoming.getVersion() >= known.getVersion() ? incoming : known);
        changes.tryEmitNext(customerSettings.getCustomerId());
    }

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

    /** Vouchers held in memory, finished ones included: what this instance's heap grows with. */
    public int vouchersHeld() {
        return vouchers.size();
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

    private static void index(Map<String, NavigableMap<IndexKey, String>> index, String customerId, Instant at,
                              String voucherId) {
        index.computeIfAbsent(customerId, customer -> new ConcurrentSkipListMap<>(NEWEST_FIRST))
                .put(new IndexKey(at, voucherId), voucherId);
    }

    private static String claimKey(String customerId, String idempotencyKey) {
        return customerId + "\n" + idempotencyKey;
    }
}
