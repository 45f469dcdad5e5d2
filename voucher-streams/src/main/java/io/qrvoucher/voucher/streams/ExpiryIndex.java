package io.qrvoucher.voucher.streams;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

import io.qrvoucher.voucher.domain.Voucher;

/**
 * The vouchers of a task that can still expire, by expiry time: a sorted map from expiry instant
 * to the vouchers ending then. The due vouchers are its head, so finding them reads only them, and
 * since most vouchers end at one of few instants (the end of a business day), adding or removing
 * one is a hash-set operation in a small tree.
 */
final class ExpiryIndex {

    /** A voucher that can expire, and when. */
    record Entry(Instant expiresAt, String voucherId) {
    }

    private final NavigableMap<Instant, Set<String>> byExpiry = new TreeMap<>();

    /** Keeps the index in step with a voucher's change of state. */
    void update(Voucher before, Voucher after) {
        boolean indexedBefore = before != null && before.status().canExpire();
        boolean indexedAfter = after.status().canExpire();
        if (indexedAfter && !indexedBefore) {
            byExpiry.computeIfAbsent(after.expiresAt(), at -> new LinkedHashSet<>()).add(after.id());
        } else if (indexedBefore && !indexedAfter) {
            remove(new Entry(before.expiresAt(), before.id()));
        }
    }

    /** Up to {@code limit} entries due at {@code now}, earliest first. */
    List<Entry> due(Instant now, int limit) {
        List<Entry> due = new ArrayList<>();
        for (Map.Entry<Instant, Set<String>> sameTime : byExpiry.headMap(now, true).entrySet()) {
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
        Set<String> sameTime = byExpiry.get(entry.expiresAt());
        if (sameTime != null && sameTime.remove(entry.voucherId()) && sameTime.isEmpty()) {
            byExpiry.remove(entry.expiresAt());
        }
    }

    /** How many vouchers the index holds: a walk over its few expiry instants, not over the vouchers. */
    long size() {
        return byExpiry.values().stream().mapToLong(Set::size).sum();
    }

    void clear() {
        byExpiry.clear();
    }
}
