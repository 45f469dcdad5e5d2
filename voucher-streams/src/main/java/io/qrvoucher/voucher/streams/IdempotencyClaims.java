package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.schemas.AvroSerde;

/**
 * Decides Idempotency-Keys and sign-ins where their claims are ordered: the first claim of a key (on
 * {@code ingress-idempotency}, keyed by customer and key) is kept in {@code idempotency-claims} for the
 * claim window, and every ingress instance reads the same first claim from here. A claim made after the
 * window of the first is the key's new first claim. Claims leave the store when their window ends,
 * found through {@code idempotency-claims-by-time} (claim time, then key), so that a purge reads only
 * what is due.
 */
final class IdempotencyClaims implements Processor<String, IdempotencyClaim, Void, Void> {

    static final AvroSerde<IdempotencyClaim> CLAIMS = AvroSerde.of(IdempotencyClaim.class);
    private static final Duration PURGE_INTERVAL = Duration.ofMinutes(1);
    private static final char SEPARATOR = '\u0000';

    private final Duration window;
    private final VoucherChanges changes;
    private KeyValueStore<String, byte[]> claims;
    private KeyValueStore<String, byte[]> byTime;

    /** @param changes told of each key whose claim was processed, for the ingress waiting to read it */
    IdempotencyClaims(Duration window, VoucherChanges changes) {
        this.window = window;
        this.changes = changes;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        claims = context.getStateStore(VoucherTopology.IDEMPOTENCY_CLAIMS);
        byTime = context.getStateStore(VoucherTopology.IDEMPOTENCY_CLAIMS_BY_TIME);
        context.schedule(PURGE_INTERVAL, PunctuationType.WALL_CLOCK_TIME,
                now -> forgetClaimsBefore(Instant.ofEpochMilli(now).minus(window)));
    }

    @Override
    public void process(Record<String, IdempotencyClaim> record) {
        keepIfFirst(record.key(), record.value());
        changes.claimed(record.key());
    }

    /** Keeps the claim as its key's first, unless the key has a first claim whose window it falls in. */
    private void keepIfFirst(String key, IdempotencyClaim claim) {
        byte[] known = claims.get(key);
        IdempotencyClaim first = known == null ? null : CLAIMS.decode(known);
        if (first != null && !isFirstAfter(first, claim, window)) {
            return;
        }
        if (first != null) {
            byTime.delete(timeKey(first.getClaimedAt(), key));
        }
        claims.put(key, CLAIMS.encode(claim));
        byTime.put(timeKey(claim.getClaimedAt(), key), new byte[0]);
    }

    /** Whether {@code later} starts the key anew: it was made after the window of the key's first claim. */
    static boolean isFirstAfter(IdempotencyClaim first, IdempotencyClaim later, Duration window) {
        return later.getClaimedAt().isAfter(first.getClaimedAt().plus(window));
    }

    private void forgetClaimsBefore(Instant oldestHeld) {
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> entries = byTime.range(timeKey(Instant.EPOCH, ""), timeKey(oldestHeld, ""))) {
            entries.forEachRemaining(entry -> due.add(entry.key));
        }
        for (String key : due) {
            claims.delete(key.substring(key.indexOf(SEPARATOR) + 1));
            byTime.delete(key);
        }
    }

    /** The key a claim is published under and kept by: the customer's, then theirs. */
    static String keyOf(IdempotencyClaim claim) {
        return claim.getCustomerId() + "/" + claim.getIdempotencyKey();
    }

    /** Fixed-width hex of the claim time, so that byte order is time order. */
    private static String timeKey(Instant claimedAt, String claimKey) {
        return HexFormat.of().toHexDigits(Math.max(0, claimedAt.toEpochMilli())) + SEPARATOR + claimKey;
    }
}
