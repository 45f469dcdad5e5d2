package io.qrvoucher.voucher.streams;

import java.time.Duration;

import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.VoucherRules;

/**
 * Decides Idempotency-Keys and sign-ins where their claims are ordered: the first claim of a key (on
 * {@code ingress-idempotency}, keyed by customer and key) is kept in {@code idempotency-claims} for the
 * claim window, and every ingress instance reads the same first claim from here. A claim made after the window of
 * the first and the clocks' skew ({@link VoucherTopology#claimsHeld}) is the key's new first claim. Claims leave the
 * store some time after that, found by a {@link RetentionSweep} of the store: a claim read after it is no longer its
 * key's first, here as in the ingress's reads, so how soon it leaves bounds only what the store holds.
 */
final class IdempotencyClaims implements Processor<String, IdempotencyClaim, Void, Void> {

    static final AvroSerde<IdempotencyClaim> CLAIMS = AvroSerde.of(IdempotencyClaim.class);
    /** The sweep's bookmark as a claim: of no customer, its key where the next slice starts. */
    static final RetentionSweep.Bookmarks BOOKMARKS = new RetentionSweep.Bookmarks(
            sweptUpTo -> CLAIMS.encode(IdempotencyClaim.newBuilder()
                    .setClaimId("retention-sweep").setCustomerId("").setIdempotencyKey(sweptUpTo)
                    .setRequestHash("").setRequestId("").setVoucherId("")
                    .setClaimedAt(RetentionSweep.BOOKMARK_MADE_AT)
                    .build()),
            bookmark -> CLAIMS.decode(bookmark).getIdempotencyKey());

    private final Duration held;
    private final int minPerSweep;
    private final VoucherChanges changes;
    private KeyValueStore<String, byte[]> claims;
    private Cancellable sweep;

    /**
     * @param minPerSweep how many claims a sweep for ended windows looks at, at least
     * @param changes     told of each key whose claim was processed, for the ingress waiting to read it
     */
    IdempotencyClaims(Duration window, int minPerSweep, VoucherChanges changes) {
        this.held = VoucherTopology.claimsHeld(window);
        this.minPerSweep = minPerSweep;
        this.changes = changes;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        claims = context.getStateStore(VoucherTopology.IDEMPOTENCY_CLAIMS);
        sweep = new RetentionSweep(claims, claim -> CLAIMS.decode(claim).getClaimedAt(), held, minPerSweep,
                BOOKMARKS)
                .scheduleOn(context);
    }

    /** Kafka Streams keeps a task's schedules when it suspends and resumes it: the next init schedules its own. */
    @Override
    public void close() {
        sweep.cancel();
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
        if (first != null && !isFirstAfter(first, claim, held)) {
            return;
        }
        claims.put(key, CLAIMS.encode(claim));
    }

    /** Whether {@code later} starts the key anew: it was made after the key's first claim stopped holding. */
    private static boolean isFirstAfter(IdempotencyClaim first, IdempotencyClaim later, Duration held) {
        return later.getClaimedAt().isAfter(first.getClaimedAt().plus(held));
    }

    /** The key a claim is published under and kept by ({@link VoucherRules#claimKey}). */
    static String keyOf(IdempotencyClaim claim) {
        return VoucherRules.claimKey(claim.getCustomerId(), claim.getIdempotencyKey());
    }
}
