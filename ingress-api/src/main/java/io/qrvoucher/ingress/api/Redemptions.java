package io.qrvoucher.ingress.api;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Currency;
import java.util.Optional;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.RedemptionMode;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.RedemptionView;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.schemas.VoucherRules;
import reactor.core.publisher.Mono;

/**
 * Redeeming a voucher by its code (the bearer code, or a counter code from the payer's screen while it
 * is current), and reading a redemption back. A redemption's id names its voucher,
 * so both the wait and a later read go to the voucher's owner.
 */
final class Redemptions {

    private final Customers customers;
    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final VoucherCodes codes;
    private final IdempotencyKeys idempotencyKeys;
    private final AttemptLimiter failedAttempts;
    private final IngressProperties properties;
    private final Clock clock;

    Redemptions(Customers customers, VoucherReads reads, RequestPublisher publisher, VoucherCodes codes,
                IdempotencyKeys idempotencyKeys, AttemptLimiter failedAttempts, IngressProperties properties,
                Clock clock) {
        this.customers = customers;
        this.reads = reads;
        this.publisher = publisher;
        this.codes = codes;
        this.idempotencyKeys = idempotencyKeys;
        this.failedAttempts = failedAttempts;
        this.properties = properties;
        this.clock = clock;
    }

    /**
     * Redeems by code, unless the customer failed too often: checked before any work is done for them. A retry of a
     * redemption the voucher took, with its Idempotency-Key, is answered as the first was all the same: it is no new
     * attempt, and the client that lost the answer must learn that the money moved.
     */
    Mono<ResponseEntity<Dtos.Redemption>> redeem(String customerId, Dtos.Redeem request, String idempotencyKey,
                                                  String prefer) {
        return limitRefusal(customerId).flatMap(limit -> redeemWithin(limit, customerId, request, idempotencyKey, prefer));
    }

    /**
     * The refusal of the limit of failed attempts if the customer is past it (or their attempts in flight still fill
     * what it leaves after a wait), else empty inside.
     */
    Mono<Optional<ApiException>> limitRefusal(String customerId) {
        return failedAttempts.checkAllowed(customerId).then(Mono.just(Optional.<ApiException>empty()))
                .onErrorResume(ApiException.class, refused ->
                        refused.getStatusCode().value() == HttpStatus.TOO_MANY_REQUESTS.value()
                                ? Mono.just(Optional.of(refused)) : Mono.error(refused));
    }

    /**
     * Redeems; past the limit ({@code limit} holds its refusal) only as the keyed retry of the redemption a voucher
     * took, for a request whose code was known only after the limit was checked (read from a picture).
     */
    Mono<ResponseEntity<Dtos.Redemption>> redeemWithin(Optional<ApiException> limit, String customerId,
                                                       Dtos.Redeem request, String idempotencyKey, String prefer) {
        Mono<Void> allowed = limit.isEmpty() ? Mono.empty()
                : retriesATakenRedemption(customerId, request, idempotencyKey)
                        .flatMap(retry -> retry ? Mono.<Void>empty() : Mono.error(limit.get()));
        return allowed.then(Mono.defer(() -> redeemAllowed(customerId, request, idempotencyKey, prefer)));
    }

    /**
     * Whether the request retries, with its key, the redemption a voucher took: the key's first claim is of this same
     * request (its code, amount and destination), and is that redemption's. Read without counting a failure or telling
     * a genuine code from another: a customer over the limit learns nothing here about a code they did not redeem
     * with this key, and a request that differs from the first is refused by the limit before any more work.
     */
    private Mono<Boolean> retriesATakenRedemption(String customerId, Dtos.Redeem request, String idempotencyKey) {
        if (idempotencyKey == null || request.code() == null || request.code().isBlank()) {
            return Mono.just(false);
        }
        String presented = request.code().trim();
        return voucherOfCode(presented, codes.asCounterCode(presented))
                .filter(coded -> coded.voucher().getRedemption() != null)
                .flatMap(coded -> Mono.justOrEmpty(hashAsFirstSent(coded, request))
                        .flatMap(hash -> idempotencyKeys.retried(customerId, idempotencyKey, hash))
                        .map(first -> first.filter(ids -> ids.requestId()
                                .equals(coded.voucher().getRedemption().getRequestId())).isPresent()))
                // A read that fails is answered as such (503, retry soon), not as the limit (429, minutes).
                .defaultIfEmpty(false);
    }

    /** The hash {@link #redeem} gives the request for this voucher and code, if made without refusing anything. */
    private Optional<String> hashAsFirstSent(VoucherAndCode coded, Dtos.Redeem request) {
        try {
            Long amountMinor = request.amount() == null ? null
                    : Amounts.parse(request.amount(), Currency.getInstance(coded.voucher().getCurrency()));
            return Optional.of(hashOf(coded.code(), amountMinor, request, destinationAsNamed(request)));
        } catch (ApiException notAsSent) {
            return Optional.empty();
        }
    }

    /** Completes if the customer may try to redeem, else fails with the refusal. */
    Mono<Void> checkAllowed(String customerId) {
        return failedAttempts.checkAllowed(customerId);
    }

    /**
     * Before a picture is read: its upload and decoding take seconds, during which its attempt would hold the room
     * the limit leaves the customer's others; it is checked but not kept undecided (pictures have their own limit).
     */
    Mono<Void> decidedUntilThePictureIsRead() {
        return failedAttempts.decided();
    }

    /**
     * What a code stands for — face value, currency, status, validity; never who the payer is — for a customer already
     * checked against the limit of failed attempts: what a payee sees before confirming an amount, since a redemption,
     * partial or not, is the voucher's only one. Nothing is asked of the voucher; a code that is not genuine, or not
     * current, counts as a failed attempt as it would in a redemption.
     */
    Mono<Dtos.VoucherPreview> previewAllowed(String customerId, String code) {
        String presented = trimmedCode(code);
        Optional<VoucherCodes.CounterCode> counterCode = codes.asCounterCode(presented);
        if (counterCode.isPresent() && !counterCode.get().isCurrentAt(clock.instant())) {
            return codeExpired(customerId);
        }
        return genuineVoucher(customerId, presented, counterCode)
                .flatMap(coded -> {
                    VoucherState voucher = coded.voucher();
                    // A genuine tag names the voucher; its own code is the one whose hash it keeps (a counter code's
                    // is made again from that hash, so it is).
                    if (!MessageDigest.isEqual(VoucherCodes.hashOf(coded.code()).getBytes(StandardCharsets.US_ASCII),
                            voucher.getCodeHash().getBytes(StandardCharsets.US_ASCII))) {
                        return invalidCode(customerId);
                    }
                    return Mono.just(new Dtos.VoucherPreview(presented, voucher.getVoucherId(),
                            VoucherRules.statusAt(voucher, clock.instant()).name(),
                            DecimalAmounts.format(voucher.getFaceValueMinor(), voucher.getCurrency()),
                            voucher.getCurrency(), voucher.getExpiresAt()));
                });
    }

    /** A voucher and the bearer code a presented code stands for: itself, or the one a counter code stands for. */
    private record VoucherAndCode(VoucherState voucher, String code) {
    }

    /**
     * The voucher a genuine code names, with the bearer code it stands for (a counter code's made again from the
     * voucher's code hash, with a key still configured); INVALID_CODE, counted, for any other code.
     */
    private Mono<VoucherAndCode> genuineVoucher(String customerId, String presented,
                                            Optional<VoucherCodes.CounterCode> counterCode) {
        return voucherOfCode(presented, counterCode).switchIfEmpty(Mono.defer(() -> invalidCode(customerId)));
    }

    /** The voucher a genuine code names, with the bearer code it stands for; empty for any other code, uncounted. */
    private Mono<VoucherAndCode> voucherOfCode(String presented, Optional<VoucherCodes.CounterCode> counterCode) {
        Optional<String> genuine = counterCode.map(VoucherCodes.CounterCode::voucherId).or(() -> codes.voucherIdOf(presented));
        if (genuine.isEmpty()) {
            return Mono.empty();
        }
        return reads.voucher(genuine.get(), null)
                .mapNotNull(VoucherAnswer::getVoucher)
                .flatMap(voucher -> Mono.justOrEmpty(counterCode.isPresent()
                                ? codes.codeOf(voucher.getVoucherId(), voucher.getCodeHash()) : Optional.of(presented))
                        .map(code -> new VoucherAndCode(voucher, code)));
    }

    private static String trimmedCode(String code) {
        if (code == null || code.isBlank()) {
            throw ApiException.unprocessable("CODE_REQUIRED", "Give the voucher's code, or a picture of its QR code");
        }
        return code.trim();
    }

    /** Redeems by code, for a customer already checked against the limit of failed attempts. */
    Mono<ResponseEntity<Dtos.Redemption>> redeemAllowed(String customerId, Dtos.Redeem request, String idempotencyKey,
                                                         String prefer) {
        String presented = trimmedCode(request.code());
        Optional<VoucherCodes.CounterCode> counterCode = codes.asCounterCode(presented);
        // Expired now, the code may still be that of a request made in time and retried with its Idempotency-Key.
        boolean expired = counterCode.isPresent() && !counterCode.get().isCurrentAt(clock.instant());
        if (expired && idempotencyKey == null) {
            return codeExpired(customerId);
        }
        return genuineVoucher(customerId, presented, counterCode).flatMap(coded ->
                redeem(customerId, coded.voucher(), coded.code(), expired, request, idempotencyKey, prefer));
    }

    private <T> Mono<T> codeExpired(String customerId) {
        return failedAttempts.record(customerId).then(Mono.error(ApiException.unprocessable("CODE_EXPIRED",
                "This code from the payer's screen has expired; scan the one shown now")));
    }

    private <T> Mono<T> invalidCode(String customerId) {
        return failedAttempts.record(customerId)
                .then(Mono.error(ApiException.unprocessable("INVALID_CODE", "This is not the code of a voucher")));
    }

    /** @param expiredCode the code presented has expired: only a retry of a request made in time goes on */
    private Mono<ResponseEntity<Dtos.Redemption>> redeem(String customerId, VoucherState voucher, String code,
                                                          boolean expiredCode, Dtos.Redeem request,
                                                          String idempotencyKey, String prefer) {
        Currency currency = Currency.getInstance(voucher.getCurrency());
        Long amountMinor = request.amount() == null ? null : Amounts.parse(request.amount(), currency);
        // A current code of a voucher still unused cannot be a failed attempt: it stops holding the limit's room now,
        // not after the destination, the claim and the publish.
        Mono<Void> cannotFail = voucher.getStatus() == VoucherStatus.UNUSED && !expiredCode
                ? failedAttempts.decided() : Mono.empty();
        return cannotFail.then(Mono.defer(() -> destinationOf(customerId, request, voucher.getCurrency())
                .onErrorResume(ApiException.class, refused -> destinationOfRetried(customerId, voucher, code, amountMinor,
                        request, idempotencyKey).switchIfEmpty(Mono.error(refused)))
                .flatMap(destination -> {
                    String hash = hashOf(code, amountMinor, request, destination);
                    Mono<Void> inTime = expiredCode ? idempotencyKeys.retried(customerId, idempotencyKey, hash)
                            .flatMap(first -> first.isPresent() ? Mono.<Void>empty() : codeExpired(customerId))
                            : Mono.empty();
                    return inTime.then(Mono.defer(() ->
                            publish(customerId, voucher, code, amountMinor, destination, hash, idempotencyKey, prefer)));
                })));
    }

    /**
     * The request as its client sent it: a default destination stands as such, for the payee's settings may change
     * between a request and its retry.
     */
    private static String hashOf(String code, Long amountMinor, Dtos.Redeem request, Object destination) {
        return IdempotencyKeys.hash("redeem", code, String.valueOf(amountMinor),
                request.accountId() == null && request.externalAccount() == null ? IdempotencyKeys.DEFAULT
                        : destination.toString());
    }

    /**
     * The destination the request names, unchecked against the payee's accounts and settings (null for their
     * default); an account at another bank is checked, for that needs nothing but the request.
     */
    private static Object destinationAsNamed(Dtos.Redeem request) {
        return request.externalAccount() != null ? ExternalAccounts.checked(request.externalAccount())
                : request.accountId() == null ? null : new OwnAccount(request.accountId());
    }

    /**
     * The destination of a keyed retry's first request, if that request was taken (it is the voucher's redemption):
     * its account was checked when it was first sent, and the settings or account it relied on may have changed since
     * (redeem-on-scan turned off, the account closed). The retry is answered as the first was, not refused. Read only
     * where the check fails; an account at another bank is checked alike at any time.
     */
    private Mono<Object> destinationOfRetried(String customerId, VoucherState voucher, String code, Long amountMinor,
                                              Dtos.Redeem request, String idempotencyKey) {
        if (request.externalAccount() != null || voucher.getRedemption() == null) {
            return Mono.empty();
        }
        String hash = hashOf(code, amountMinor, request, destinationAsNamed(request));
        return idempotencyKeys.retried(customerId, idempotencyKey, hash)
                .flatMap(Mono::justOrEmpty)
                .filter(first -> first.requestId().equals(voucher.getRedemption().getRequestId()))
                .map(first -> voucher.getRedemption().getDestination());
    }

    /** Publishes the redemption (the first one's ids for a repeated Idempotency-Key) and waits as asked. */
    private Mono<ResponseEntity<Dtos.Redemption>> publish(String customerId, VoucherState voucher, String code,
                                                           Long amountMinor, Object destination, String hash,
                                                           String idempotencyKey, String prefer) {
        Instant now = clock.instant();
        String voucherId = voucher.getVoucherId();

        IdempotencyKeys.Ids proposed = new IdempotencyKeys.Ids(voucherId, codes.redemptionId(customerId, voucherId));
        return idempotencyKeys.resolve(customerId, idempotencyKey, hash, proposed)
                .flatMap(ids -> usedCodeCounted(customerId, voucher, ids.equals(proposed))
                        // Not a failed attempt, or counted as one: the limit no longer holds it while it is waited for.
                        .then(failedAttempts.decided())
                        // Should it be answered before the redemption settles, it keeps its place until then.
                        .then(AdmissionControl.publish(publisher.publish(new VoucherRequest(ids.requestId(), voucherId,
                                        customerId, now, new RedeemVoucher(VoucherCodes.hashOf(code), amountMinor,
                                        destination))),
                                properties.limits().maxWait(), within -> settled(ids.requestId(), voucherId, customerId, within)))
                        .then(settled(ids.requestId(), voucherId, customerId,
                                Prefer.waitOf(prefer, properties.limits().maxWait())))
                        .map(settled -> ResponseEntity.ok().location(location(ids.requestId()))
                                .body(Representations.redemption(settled, voucher.getCurrency())))
                        .defaultIfEmpty(ResponseEntity.status(HttpStatus.ACCEPTED)
                                .location(location(ids.requestId()))
                                .body(new Dtos.Redemption(ids.requestId(), voucherId, "PENDING", null,
                                        amountMinor == null ? null : DecimalAmounts.format(amountMinor, voucher.getCurrency()),
                                        voucher.getCurrency(), Representations.destination(destination), now))));
    }

    /**
     * A new attempt on a code already used cannot succeed: it still goes through (its outcome is the voucher's to
     * give), but a client looping on it is stopped like a guesser, with or without a new Idempotency-Key each
     * time. A retry with the key of an earlier attempt is not a new one.
     */
    private Mono<Void> usedCodeCounted(String customerId, VoucherState voucher, boolean newAttempt) {
        return newAttempt && voucher.getStatus() != VoucherStatus.UNUSED ? failedAttempts.record(customerId) : Mono.empty();
    }

    /**
     * A redemption, to the customer who asked for it; empty for anyone else, for ids never issued, and once the
     * voucher's owner knows neither the voucher nor a refusal of the request: a redemption id is issued only for a
     * voucher recorded, so the voucher was forgotten ({@code voucher.final-retention}), and its redemption with it.
     */
    Mono<Dtos.Redemption> redemption(String customerId, String redemptionId) {
        return Mono.justOrEmpty(codes.voucherOfRedemption(redemptionId, customerId))
                .flatMap(voucherId -> reads.voucher(voucherId, redemptionId)
                        .filter(answer -> answer.getVoucher() != null || answer.getRefusal() != null)
                        .map(answer -> Representations.redemption(
                                RedemptionView.of(redemptionId, voucherId, customerId, answer),
                                answer.getVoucher() == null ? null : answer.getVoucher().getCurrency())));
    }

    private Mono<RedemptionView> settled(String redemptionId, String voucherId, String customerId, Duration wait) {
        if (wait.isZero()) {
            return Mono.empty();
        }
        return VoucherReads.afterPublished(reads.awaitUntil(voucherId, redemptionId,
                        answer -> RedemptionView.of(redemptionId, voucherId, customerId, answer).isSettled(), wait)
                .map(answer -> RedemptionView.of(redemptionId, voucherId, customerId, answer)));
    }

    /** The payee's own account, an account at another bank, or the default the payee's settings allow. */
    private Mono<Object> destinationOf(String customerId, Dtos.Redeem request, String currency) {
        if (request.accountId() != null && request.externalAccount() != null) {
            throw ApiException.unprocessable("AMBIGUOUS_DESTINATION", "Give accountId or externalAccount, not both");
        }
        if (request.externalAccount() != null) {
            return Mono.just(ExternalAccounts.checked(request.externalAccount()));
        }
        // Read now, with its status: a closed account would fail the transfer, and a failed redemption uses the
        // voucher up (REDEEM_FAILED), so a redemption into an account the ledger will refuse is refused before.
        Mono<Customers.OwnedAccount> account = request.accountId() != null
                ? customers.openOwnAccount(customerId, request.accountId()).map(Customers.OwnedAccount::of)
                : customers.settingsOf(customerId).flatMap(settings -> defaultDestination(customerId, settings, currency));
        return account.map(own -> new OwnAccount(own.in(currency).accountId()));
    }

    /** Under REDEEM_ON_SCAN: the default redemption account, else the first account in the currency. */
    private Mono<Customers.OwnedAccount> defaultDestination(String customerId, CustomerSettings settings, String currency) {
        if (settings.getRedemptionMode() != RedemptionMode.REDEEM_ON_SCAN) {
            return Mono.error(ApiException.unprocessable("DESTINATION_REQUIRED",
                    "Choose the account to receive the money (your redemption mode is scan, then confirm)"));
        }
        // Read now, with their status, like a named one: no account is chosen for the payee that the ledger will refuse.
        if (settings.getDefaultRedemptionAccountId() != null) {
            return customers.openOwnAccount(customerId, settings.getDefaultRedemptionAccountId())
                    .map(Customers.OwnedAccount::of);
        }
        return customers.accountsOf(customerId)
                .flatMap(accounts -> Mono.justOrEmpty(accounts.stream()
                        .filter(account -> account.getCurrency().equals(currency) && Customers.isActive(account))
                        .map(Customers.OwnedAccount::of)
                        .findFirst()))
                .switchIfEmpty(Mono.error(() -> ApiException.unprocessable("DESTINATION_REQUIRED",
                        "You have no open account in " + currency + " to receive the money")));
    }

    private static URI location(String redemptionId) {
        return URI.create("/api/redemptions/" + redemptionId);
    }
}
