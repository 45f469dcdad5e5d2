package io.qrvoucher.voucher.domain;

import static io.qrvoucher.voucher.domain.HoldState.CAPTURED;
import static io.qrvoucher.voucher.domain.HoldState.CAPTURING;
import static io.qrvoucher.voucher.domain.HoldState.HELD;
import static io.qrvoucher.voucher.domain.HoldState.REFUSED;
import static io.qrvoucher.voucher.domain.HoldState.RELEASED;
import static io.qrvoucher.voucher.domain.HoldState.RELEASING;
import static io.qrvoucher.voucher.domain.HoldState.REQUESTED;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.voucher.domain.VoucherEvent.Type;
import io.qrvoucher.voucher.domain.VoucherRequest.Cancel;
import io.qrvoucher.voucher.domain.VoucherRequest.Generate;
import io.qrvoucher.voucher.domain.VoucherRequest.Redeem;

/**
 * The voucher state machine. Every input for one voucher is applied to its current state, one at
 * a time, and yields a {@link Decision}. It is a pure function of its inputs: no clock, no I/O.
 *
 * <p>The money rules it keeps: a voucher accepts one redemption, ever, so at most one transfer is
 * asked for; every hold that the ledger confirms is later captured or released exactly once, also
 * when the confirmation arrives after the voucher was cancelled or expired; a final status never
 * changes, unless the ledger says it moved money the voucher had reported as given back (then the
 * voucher says what the ledger did); a request that does not fit the state is refused and changes nothing.
 */
public final class VoucherLifecycle {

    /** The ledger's answer to a release of a hold it captured. */
    public static final String HOLD_ALREADY_CAPTURED = "HOLD_ALREADY_CAPTURED";
    /** The reason of a voucher corrected to REDEEMED after it had been told its redemption failed. */
    public static final String CAPTURED_AFTER_REPORTED_FAILURE = "CAPTURED_AFTER_REPORTED_FAILURE";
    /** The reason of a stall report: the ledger has not answered the voucher's last command. */
    public static final String NO_LEDGER_RESULT = "NO_LEDGER_RESULT";

    private final VoucherPolicy policy;

    public VoucherLifecycle(VoucherPolicy policy) {
        this.policy = policy;
    }

    /** The longest a voucher can stay open after it is asked for, unless the ledger keeps it waiting. */
    public Duration longestValidity() {
        return policy.longestValidity();
    }

    /** Applies a customer's request or a ledger result to the voucher it names ({@code current}, if it exists). */
    public Decision apply(Optional<Voucher> current, VoucherInput input, Instant now) {
        return input instanceof VoucherRequest request ? apply(current, request, now)
                : apply(current, (LedgerResult) input, now);
    }

    public Decision apply(Optional<Voucher> current, VoucherRequest request, Instant now) {
        if (request instanceof Generate generate) {
            return generate(current, generate, now);
        }
        if (current.isEmpty()) {
            Refusal refusal = request instanceof Redeem ? Refusal.INVALID_CODE : Refusal.VOUCHER_NOT_FOUND;
            return Decision.refuse(request, null, refusal);
        }
        Voucher voucher = current.get();
        if (request instanceof Redeem redeem) {
            // The code is checked before anything else, so that a wrong code learns nothing of the voucher.
            if (!sameHash(voucher.codeHash(), redeem.presentedCodeHash())) {
                return Decision.refuse(request, null, Refusal.INVALID_CODE);
            }
            if (voucher.redemption() != null && voucher.redemption().requestId().equals(redeem.requestId())) {
                return Decision.nothing();
            }
            return afterDueExpiry(voucher, now, state -> redeem(state, redeem, now));
        }
        Cancel cancel = (Cancel) request;
        if (!voucher.payerCustomerId().equals(cancel.customerId())) {
            return Decision.refuse(request, voucher, Refusal.NOT_OWNER);
        }
        if (cancel.requestId().equals(voucher.cancelRequestId())) {
            return Decision.nothing();
        }
        return afterDueExpiry(voucher, now, state -> cancel(state, cancel, now));
    }

    public Decision apply(Optional<Voucher> current, LedgerResult result, Instant now) {
        if (current.isEmpty()) {
            return Decision.nothing();
        }
        Voucher voucher = current.get();
        return switch (result.outcome()) {
            case FROZEN -> frozen(voucher, now);
            case FREEZE_REFUSED -> freezeRefused(voucher, result.reason(), now);
            case TRANSFERRED -> transferred(voucher, now);
            case TRANSFER_FAILED -> transferFailed(voucher, result.reason(), now);
            case RELEASED -> voucher.hold() == RELEASING
                    ? Decision.change(voucher.withHold(RELEASED, now), List.of(), null)
                    : Decision.nothing();
            case RELEASE_REFUSED -> releaseRefused(voucher, result.reason(), now);
        };
    }

    /**
     * Reports a voucher that has waited on the ledger (its freeze, transfer or release asked for and not
     * answered) since {@code stalledAfter} or longer: the hold and whoever waits for the outcome are stuck
     * until someone looks. Changes nothing; the report is an event for operators and subscribers.
     */
    public Decision reportIfStalled(Voucher voucher, Instant now, Duration stalledAfter) {
        Optional<Instant> stalledAt = stalledAt(voucher, stalledAfter);
        if (stalledAt.isEmpty() || now.isBefore(stalledAt.get())) {
            return Decision.nothing();
        }
        return new Decision(Optional.empty(), List.of(), List.of(new VoucherEvent(Type.STALLED, voucher.id(), voucher,
                null, null, NO_LEDGER_RESULT)));
    }

    /** When the voucher counts as stalled if it is still waiting on the ledger then; empty if it is not waiting. */
    public static Optional<Instant> stalledAt(Voucher voucher, Duration stalledAfter) {
        return voucher.hold().awaitsLedger() ? Optional.of(voucher.updatedAt().plus(stalledAfter)) : Optional.empty();
    }

    /** Expires the voucher if its validity has ended and it is still waiting to be used. */
    public Decision expireIfDue(Voucher voucher, Instant now) {
        if (!voucher.isDueAt(now)) {
            return Decision.nothing();
        }
        Voucher expired = expired(voucher, now);
        return Decision.change(expired, releaseIfHeld(voucher), VoucherEvent.of(Type.EXPIRED, expired));
    }

    /**
     * A request that arrives after the validity ended, before the punctuator got to the voucher,
     * sees it expired: the expiry is applied first, then the request to what it leaves.
     */
    private Decision afterDueExpiry(Voucher voucher, Instant now, Function<Voucher, Decision> request) {
        Decision expiry = expireIfDue(voucher, now);
        return expiry.then(request.apply(expiry.stateAfter(Optional.of(voucher)).orElseThrow()));
    }

    /**
     * A voucher is made as of its request, and only while it could still be used: a request handled after the end
     * of the validity it asked for (held up that long, or a sealed request replayed onto the topic after its voucher
     * was forgotten) is rejected without touching money; made, it would freeze only to expire at once, or, replayed
     * for a voucher redeemed long ago, end in a false ledger mismatch.
     */
    private Decision generate(Optional<Voucher> current, Generate request, Instant handledAt) {
        if (current.isPresent()) {
            return current.get().generateRequestId().equals(request.requestId())
                    ? Decision.nothing()
                    : Decision.refuse(request, null, Refusal.DUPLICATE_VOUCHER_ID);
        }
        Instant now = request.requestedAt();
        Instant expiresAt = request.expiresAt().orElse(policy.defaultExpiry(now));
        Optional<Refusal> invalid = checkNewVoucher(request, expiresAt)
                .or(() -> expiresAt.isAfter(handledAt) ? Optional.empty() : Optional.of(Refusal.VALIDITY_IN_PAST));
        if (invalid.isPresent()) {
            Voucher rejected = newVoucher(request, expiresAt, VoucherStatus.REJECTED, HoldState.NONE, handledAt)
                    .withReason(invalid.get().name());
            return Decision.change(rejected, List.of(), VoucherEvent.causedBy(Type.REJECTED, rejected, request));
        }
        Voucher pending = newVoucher(request, expiresAt, VoucherStatus.PENDING, REQUESTED, handledAt);
        LedgerCommand freeze = new LedgerCommand.Freeze(pending.id(), pending.payerCustomerId(), pending.accountId(),
                pending.faceValue());
        return Decision.change(pending, List.of(freeze), VoucherEvent.causedBy(Type.REQUESTED, pending, request));
    }

    private Optional<Refusal> checkNewVoucher(Generate request, Instant expiresAt) {
        Optional<Money> cap = policy.capFor(request.amount().currency());
        if (cap.isEmpty()) {
            return Optional.of(Refusal.UNSUPPORTED_CURRENCY);
        }
        if (!request.amount().isPositive()) {
            return Optional.of(Refusal.INVALID_AMOUNT);
        }
        if (request.amount().exceeds(cap.get())) {
            return Optional.of(Refusal.AMOUNT_EXCEEDS_VOUCHER_CAP);
        }
        if (!expiresAt.isAfter(request.requestedAt())) {
            return Optional.of(Refusal.VALIDITY_IN_PAST);
        }
        if (expiresAt.isAfter(policy.latestExpiry(request.requestedAt()))) {
            return Optional.of(Refusal.VALIDITY_TOO_LONG);
        }
        return Optional.empty();
    }

    /**
     * Created as of its request, changed as of now: the stall watchdog counts from the change, and a generation handled
     * minutes late (a backlog after a restore) would otherwise read as a freeze stalled since it was asked for.
     */
    private static Voucher newVoucher(Generate request, Instant expiresAt, VoucherStatus status, HoldState hold,
                                      Instant handledAt) {
        return new Voucher(request.voucherId(), request.customerId(), request.accountId(), request.amount(),
                request.codeHash(), status, hold, request.requestedAt(), expiresAt, handledAt, 1,
                request.requestId(), null, null, null);
    }

    private Decision redeem(Voucher voucher, Redeem request, Instant now) {
        if (voucher.status() != VoucherStatus.UNUSED) {
            return Decision.refuse(request, voucher, refusalFor(voucher.status()));
        }
        Money amount = request.amountMinor()
                .map(minor -> new Money(minor, voucher.faceValue().currency()))
                .orElse(voucher.faceValue());
        if (!amount.isPositive()) {
            return Decision.refuse(request, voucher, Refusal.INVALID_AMOUNT);
        }
        if (amount.exceeds(voucher.faceValue())) {
            return Decision.refuse(request, voucher, Refusal.AMOUNT_EXCEEDS_FACE_VALUE);
        }
        Redemption redemption = new Redemption(request.requestId(), request.customerId(), amount,
                request.destination(), request.requestedAt());
        Voucher redeeming = voucher.withRedemption(redemption).moveTo(VoucherStatus.REDEEMING, CAPTURING, now);
        LedgerCommand transfer = new LedgerCommand.Transfer(voucher.id(), amount, request.customerId(),
                request.destination());
        return Decision.change(redeeming, List.of(transfer),
                VoucherEvent.causedBy(Type.REDEMPTION_STARTED, redeeming, request));
    }

    private Decision cancel(Voucher voucher, Cancel request, Instant now) {
        if (!voucher.status().canExpire()) {
            return Decision.refuse(request, voucher, refusalFor(voucher.status()));
        }
        Voucher cancelled = voucher.withCancelRequest(request.requestId()).moveTo(VoucherStatus.CANCELLED, RELEASING, now);
        return Decision.change(cancelled, releaseIfHeld(voucher), VoucherEvent.causedBy(Type.CANCELLED, cancelled, request));
    }

    private Decision frozen(Voucher voucher, Instant now) {
        if (voucher.hold() != REQUESTED) {
            return Decision.nothing();
        }
        if (voucher.status() == VoucherStatus.PENDING) {
            Voucher issued = voucher.moveTo(VoucherStatus.UNUSED, HELD, now);
            return Decision.change(issued, List.of(), VoucherEvent.of(Type.ISSUED, issued));
        }
        // Cancelled or expired while the freeze was in flight (before session 22 a pending voucher could be: such
        // vouchers may still be in a store): give the money back at once.
        return Decision.change(voucher.withHold(RELEASING, now), List.of(new LedgerCommand.Release(voucher.id())), null);
    }

    private Decision freezeRefused(Voucher voucher, String reason, Instant now) {
        if (voucher.hold() != REQUESTED) {
            return Decision.nothing();
        }
        if (voucher.status() == VoucherStatus.PENDING) {
            Voucher rejected = voucher.withReason(reason).moveTo(VoucherStatus.REJECTED, REFUSED, now);
            return Decision.change(rejected, List.of(), VoucherEvent.of(Type.REJECTED, rejected));
        }
        return Decision.change(voucher.withHold(REFUSED, now), List.of(), null);
    }

    private Decision transferred(Voucher voucher, Instant now) {
        if (voucher.hold() != CAPTURING) {
            return Decision.nothing();
        }
        Voucher redeemed = voucher.moveTo(VoucherStatus.REDEEMED, CAPTURED, now);
        return Decision.change(redeemed, List.of(), VoucherEvent.of(Type.REDEEMED, redeemed));
    }

    private Decision transferFailed(Voucher voucher, String reason, Instant now) {
        if (voucher.hold() != CAPTURING) {
            return Decision.nothing();
        }
        Voucher failed = voucher.withReason(reason).moveTo(VoucherStatus.REDEEM_FAILED, RELEASING, now);
        return Decision.change(failed, List.of(new LedgerCommand.Release(voucher.id())),
                VoucherEvent.of(Type.REDEEM_FAILED, failed));
    }

    private Decision releaseRefused(Voucher voucher, String reason, Instant now) {
        if (voucher.hold() != RELEASING) {
            return Decision.nothing();
        }
        if (!HOLD_ALREADY_CAPTURED.equals(reason)) {
            // The ledger found no open hold to release: nothing was held, so nothing is owed.
            return Decision.change(voucher.withHold(RELEASED, now).withReason(reason), List.of(), null);
        }
        // The ledger moved the money although the voucher was told otherwise (a transfer answered
        // failed, then applied on a redelivery). The ledger is the truth: a voucher whose redemption it
        // captured is corrected to REDEEMED, publicly; one without a redemption cannot be explained and
        // is flagged for reconciliation with the hold as the ledger has it. Never silently RELEASED.
        if (voucher.redemption() != null) {
            Voucher corrected = voucher.withReason(CAPTURED_AFTER_REPORTED_FAILURE)
                    .moveTo(VoucherStatus.REDEEMED, CAPTURED, now);
            return Decision.change(corrected, List.of(), VoucherEvent.of(Type.REDEEMED, corrected));
        }
        Voucher flagged = voucher.withReason(HOLD_ALREADY_CAPTURED).withHold(CAPTURED, now);
        return Decision.change(flagged, List.of(), VoucherEvent.of(Type.LEDGER_MISMATCH, flagged));
    }

    private static Voucher expired(Voucher voucher, Instant now) {
        return voucher.moveTo(VoucherStatus.EXPIRED, voucher.hold() == HELD ? RELEASING : voucher.hold(), now);
    }

    private static List<LedgerCommand> releaseIfHeld(Voucher voucher) {
        return voucher.hold() == HELD ? List.of(new LedgerCommand.Release(voucher.id())) : List.of();
    }

    private static Refusal refusalFor(VoucherStatus status) {
        return Refusal.valueOf(VoucherRules.refusalForStatus(status.name()));
    }

    private static boolean sameHash(String expected, String presented) {
        return presented != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII), presented.getBytes(StandardCharsets.US_ASCII));
    }
}
