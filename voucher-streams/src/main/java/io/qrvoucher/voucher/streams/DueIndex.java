package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import io.qrvoucher.voucher.domain.Voucher;

/**
 * Vouchers of a task by the instant something is due for them: for the expiry index, when a voucher
 * that can still expire expires; for the stall index, when a voucher waiting on the ledger counts as
 * stalled; for the listing index, when a voucher pending or being redeemed is listed so if it still is.
 * A sorted map from instant to the vouchers due then: the due vouchers are its head, so finding them
 * reads only them, and since most vouchers expire at one of few instants (the end of a business day),
 * adding or removing one is a hash-set operation in a small tree.
 */
final class DueIndex {

    /** A voucher that is due, and when. */
    record Entry(Instant dueAt, String voucherId) {
    }

    private final Function<Voucher, Optional<Instant>> dueAt;
    private final NavigableMap<Instant, Set<String>> byDueTime = new TreeMap<>();

    /** @param dueAt when something is due for a voucher in this state; empty if nothing is */
    DueIndex(Function<Voucher, Optional<Instant>> dueAt) {
        this.dueAt = dueAt;
    }

    /** Vouchers by expiry time, while they can expire. */
    static DueIndex expiry() {
        return new DueIndex(voucher -> voucher.status().canExpire() ? Optional.of(voucher.expiresAt()) : Optional.empty());
    }

    /** When something is due for a voucher in this state; empty if nothing is. */
    Optional<Instant> dueAt(Voucher voucher) {
        return dueAt.apply(voucher);
    }

    /** Keeps the index in step with a voucher's change of state; {@code before} is null for a new voucher. */
    void update(Voucher before, Voucher after) {
        Optional<Instant> was = before == null ? Optional.empty() : dueAt.apply(before);
        Optional<Instant> is = dueAt.apply(after);
        if (was.equals(is)) {
            return;
        }
        was.ifPresent(at -> remove(new Entry(at, before.id())));
        is.ifPresent(at -> byDueTime.computeIfAbsent(at, sameTime -> new LinkedHashSet<>()).add(after.id()));
    }

    /** Up to {@code limit} entries due at {@code now}, earliest first. */
    List<Entry> due(Instant now, int limit) {
        List<Entry> due = new ArrayList<>();
        for (Map.Entry<Instant, Set<String>> sameTime : byDueTime.headMap(now, true).entrySet()) {
            for (String voucherId : sameTime.getValue()) {
                if (due.size() == limit) {
                    return due;
                }
                due.add(new Entry(sameTime.getKey(), voucherId));
            }
        }
        return due;
    }

    void remove(Entry entry) {
        Set<String> sameTime = byDueTime.get(entry.dueAt());
        if (sameTime != null && sameTime.remove(entry.voucherId()) && sameTime.isEmpty()) {
            byDueTime.remove(entry.dueAt());
        }
    }

    /** How many vouchers the index holds: a walk over its instants, not over the vouchers. */
    long size() {
        return byDueTime.values().stream().mapToLong(Set::size).sum();
    }

    void clear() {
        byDueTime.clear();
    }
}
