package io.qrvoucher.ingress.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.schemas.VoucherRules;
import reactor.core.publisher.Mono;

/**
 * {@code Idempotency-Key}, correct across instances. An instance that meets a key publishes a claim
 * carrying the request's hash and the ids the request will use, then asks the owner of the key's partition
 * for the key's first claim: the first claim of the key in that partition
 * wins, and every instance is told the same. A request with the winner's hash proceeds with the winner's
 * ids (so it publishes the same request, which the topology recognises as a redelivery and applies once);
 * a request with another body is refused.
 *
 * <p>The same first-claim-wins log makes each sign-in confirm one voucher only (step-up under
 * EVERY_TIME): the sign-in is claimed under a key a client cannot send, see {@link #claimSignIn}; it decides a
 * generation's step-up once for its key, see {@link #decideStepUp}; and it keeps a key's refusal for step-up of
 * other requests, see {@link #refuseForStepUp}.
 */
final class IdempotencyKeys {

    private static final int MAX_KEY_LENGTH = 200;
    /** What a request hash holds for an account or destination left to the settings: no account id can spell it. */
    static final String DEFAULT = "\u0000default";
    private static final Duration READ_BACK_TIMEOUT = Duration.ofSeconds(10);

    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final Duration readBackTimeout;

    IdempotencyKeys(VoucherReads reads, RequestPublisher publisher) {
        this(reads, publisher, READ_BACK_TIMEOUT);
    }

    /** @param readBackTimeout how long to wait for the key's owner to have the claim just published */
    IdempotencyKeys(VoucherReads reads, RequestPublisher publisher, Duration readBackTimeout) {
        this.reads = reads;
        this.publisher = publisher;
        this.readBackTimeout = readBackTimeout;
    }

    /** The ids a request uses: its own new ones, or those of the first request with the same key. */
    record Ids(String voucherId, String requestId) {
        static Ids fresh(String voucherId) {
            return new Ids(voucherId, UUID.randomUUID().toString());
        }
    }

    /**
     * A key a client may send: 1 to 200 visible ASCII characters but the comma (a header sent twice reaches a handler
     * as its values joined by commas, and was taken as one key made of both).
     */
    static boolean isValid(String key) {
        return !key.isBlank() && key.length() <= MAX_KEY_LENGTH
                && key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e && c != ',');
    }

    static ApiException invalidKey() {
        return ApiException.badRequest("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be given once, 1 to 200 "
                + "visible ASCII characters other than a comma");
    }

    /**
     * The ids the request uses: its own without a key, else those of the key's first claim, which is the
     * claim made now unless the key had one. The claim is made without first asking whether there is one:
     * a retry is rare and its claim simply loses, while every first request saves a read.
     */
    Mono<Ids> resolve(String customerId, String key, String requestHash, Ids proposed) {
        if (key == null) {
            return Mono.just(proposed);
        }
        if (!isValid(key)) {
            return Mono.error(invalidKey());
        }
        return claim(customerId, key, requestHash, proposed)
                .map(first -> {
                    if (!first.getRequestHash().equals(requestHash)) {
                        throw keyReused();
                    }
                    return new Ids(first.getVoucherId(), first.getRequestId());
                });
    }

    /**
     * The ids of the request this one retries, if it is a retry: its key's first claim, within the claim window, is
     * of the same request. A retry of a request that went on skips the checks that depend on when it is sent (a
     * validity or a code that has run out since): they held when the request was first sent, and the answer is that
     * request's. Asked only where such a check fails, so that a first request costs no read.
     */
    Mono<Optional<Ids>> retried(String customerId, String key, String requestHash) {
        if (key == null || !isValid(key)) {
            return Mono.just(Optional.empty());
        }
        return firstClaimKnown(customerId, key)
                .filter(first -> first.getRequestHash().equals(requestHash))
                .map(first -> Optional.of(new Ids(first.getVoucherId(), first.getRequestId())))
                .defaultIfEmpty(Optional.empty());
    }

    /**
     * Claims a sign-in, named as {@link SignIns#idOf} names it, as the step-up confirmation of one voucher: true if
     * this voucher holds the first claim, from this instance or any other, false if another voucher was
     * confirmed with it. Concurrent generations with one sign-in thus confirm one voucher, not each.
     */
    Mono<Boolean> claimSignIn(String customerId, String signInId, Ids request) {
        // A space cannot occur in an Idempotency-Key, so no client key can take a sign-in's place.
        String key = "sign-in " + signInId;
        return claim(customerId, key, request.voucherId(), request)
                .map(first -> first.getVoucherId().equals(request.voucherId()));
    }

    private static ApiException keyReused() {
        return ApiException.unprocessable("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request");
    }

    /**
     * Records, before the refusal is answered, that the request with these ids (its key's first claim's) was refused
     * for step-up: the key answers so from then on (SPEC section 4), also to a caller signed in afresh, who confirms
     * a new request with a new key. Nothing without a key. A key has one such record: where it holds another
     * request's refusal (one key sent with two requests, say a settings change and then a generation), this one
     * cannot be kept and is answered as the key's reuse instead, which a fresh sign-in does not change.
     */
    Mono<Void> refuseForStepUp(String customerId, String key, String requestHash, Ids request) {
        if (key == null) {
            return Mono.empty();
        }
        return claim(customerId, stepUpRefusal(key), requestHash, request)
                .flatMap(first -> first.getRequestId().equals(request.requestId()) ? Mono.<Void>empty()
                        : Mono.error(keyReused()));
    }

    /**
     * The request, its refusal for step-up recorded under its key before it is answered ({@link #refuseForStepUp}).
     * Should the record fail, the answer is its 503, not the refusal: a 403 not recorded would let the key through
     * after a fresh sign-in.
     */
    <T> Mono<T> keepingStepUpRefusal(Mono<T> request, String customerId, String key, String requestHash, Ids ids) {
        return request.onErrorResume(SignIns::isStepUpRefusal,
                refusal -> refuseForStepUp(customerId, key, requestHash, ids).then(Mono.error(refusal)));
    }

    /**
     * Refuses again, 403, the request with this id if it was refused for step-up under this key (SPEC section 4),
     * also when its caller signed in afresh since; nothing without a key. A refusal of an earlier use of the key,
     * whose claim window has passed, is another request's.
     */
    Mono<Void> stillRefusedForStepUp(String customerId, String key, String requestId) {
        if (key == null) {
            return Mono.empty();
        }
        return firstClaimKnown(customerId, stepUpRefusal(key))
                .filter(refused -> refused.getRequestId().equals(requestId))
                .flatMap(refused -> Mono.error(SignIns.stillRequired()));
    }

    /** Where a key's step-up refusal is kept: a space cannot occur in an Idempotency-Key, as for sign-ins. */
    private static String stepUpRefusal(String key) {
        return "step-up-refused " + key;
    }

    /**
     * A generation's step-up outcome: refused, or confirmed, under EVERY_TIME by the sign-in named (as
     * {@link SignIns#idOf} names it), which must then confirm no other voucher.
     */
    record StepUp(boolean confirmed, String signIn) {

        static final StepUp REFUSED = new StepUp(false, null);

        static StepUp confirmedBy(String signIn) {
            return new StepUp(true, signIn);
        }

        /** As a decision's claim holds it in place of a request's hash. */
        String claimed() {
            return !confirmed ? "refused" : signIn == null ? "confirmed" : "confirmed " + signIn;
        }

        /** A decision as claimed; one this release cannot read is taken as a refusal. */
        static StepUp ofClaimed(String claimed) {
            if (claimed.equals("confirmed")) {
                return confirmedBy(null);
            }
            return claimed.startsWith("confirmed ") ? confirmedBy(claimed.substring("confirmed ".length())) : REFUSED;
        }
    }

    /**
     * Decides a generation's step-up once for its key: this attempt's outcome is claimed under the key for the
     * request its first claim holds, and the first outcome claimed, this attempt's or another's, is every attempt's.
     * It is claimed before a sign-in is claimed for the voucher, so that an attempt that loses to a refusal uses up no
     * sign-in. A retry sent with a sign-in gone stale thus goes on with the request another attempt confirmed, which
     * may be published and only not readable yet, instead of being refused while the first goes through (the
     * customer, told to confirm again, would make a second voucher); and a refused request stays refused (SPEC
     * section 4), also where an attempt signed in afresh raced the refused one. Without a key, this attempt's outcome.
     */
    Mono<StepUp> decideStepUp(String customerId, String key, Ids request, StepUp own) {
        if (key == null) {
            return Mono.just(own);
        }
        return claim(customerId, stepUpDecision(key, request), own.claimed(), request)
                .map(first -> StepUp.ofClaimed(first.getRequestHash()));
    }

    /** The step-up decision an attempt made for the request with this key ({@link #decideStepUp}), if one did. */
    Mono<Optional<StepUp>> stepUpDecided(String customerId, String key, Ids request) {
        return firstClaimKnown(customerId, stepUpDecision(key, request))
                .map(first -> Optional.of(StepUp.ofClaimed(first.getRequestHash())))
                .defaultIfEmpty(Optional.empty());
    }

    /**
     * Where the step-up decision of a generation with this key is kept: one of the key's request, so that a decision
     * made late in the key's window does not stand for the key's next use.
     */
    private static String stepUpDecision(String key, Ids request) {
        return "step-up " + key + " " + request.requestId();
    }

    /** The key's first claim as its owner has it now, without waiting for one; empty if it has none. */
    private Mono<IdempotencyClaim> firstClaimKnown(String customerId, String key) {
        return reads.claim(VoucherRules.claimKey(customerId, key), Duration.ZERO).mapNotNull(ClaimAnswer::getClaim);
    }

    /** The first claim of a key: the one made here, or the one its owner had before it. */
    private Mono<IdempotencyClaim> claim(String customerId, String key, String requestHash, Ids proposed) {
        IdempotencyClaim claim = new IdempotencyClaim(UUID.randomUUID().toString(), customerId, key, requestHash,
                proposed.requestId(), proposed.voucherId(), Instant.now());
        return publisher.publish(claim)
                .then(reads.claim(VoucherRules.claimKey(customerId, key), readBackTimeout))
                .mapNotNull(ClaimAnswer::getClaim)
                // Not known to the owner in time, the claim's fate is open; nothing was published for the
                // request itself, so a retry is safe and finds the first claim.
                .switchIfEmpty(Mono.error(ApiException::temporarilyUnavailable));
    }

    /** The hash of the parts, each ended by a NUL, so that no two lists of parts run together alike. */
    static String hash(String... parts) {
        StringBuilder joined = new StringBuilder();
        for (String part : parts) {
            joined.append(part).append('\u0000');
        }
        return VoucherRules.sha256Hex(joined.toString());
    }
}
