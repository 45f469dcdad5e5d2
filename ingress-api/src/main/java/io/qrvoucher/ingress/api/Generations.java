package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Currency;
import java.util.Optional;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.jwt.Jwt;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.avro.StepUpPolicy;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.schemas.DecimalAmounts;
import io.qrvoucher.support.BankRules;
import reactor.core.publisher.Mono;

/**
 * Generating a voucher: checks what the ingress can check at once (amount, cap, account, validity,
 * step-up), publishes the request keyed by its new voucher, and, when the caller prefers to wait, waits
 * for the voucher's owner to settle it.
 */
final class Generations {

    private static final Logger log = LoggerFactory.getLogger(Generations.class);

    /** The latest instant a record's timestamp in milliseconds holds. */
    private static final Instant LATEST_EXPIRY = Instant.ofEpochMilli(Long.MAX_VALUE);

    private final Customers customers;
    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final VoucherCodes codes;
    private final IdempotencyKeys idempotencyKeys;
    private final Representations representations;
    private final IngressProperties properties;
    private final BankRules bankRules;
    private final SignIns signIns;
    private final Clock clock;

    Generations(Customers customers, VoucherReads reads, RequestPublisher publisher, VoucherCodes codes,
                IdempotencyKeys idempotencyKeys, Representations representations, IngressProperties properties,
                BankRules bankRules, SignIns signIns, Clock clock) {
        this.bankRules = bankRules;
        this.customers = customers;
        this.reads = reads;
        this.publisher = publisher;
        this.codes = codes;
        this.idempotencyKeys = idempotencyKeys;
        this.representations = representations;
        this.properties = properties;
        this.signIns = signIns;
        this.clock = clock;
    }

    Mono<ResponseEntity<Dtos.Voucher>> generate(Jwt caller, Dtos.GenerateVoucher request, String idempotencyKey,
                                                 String prefer) {
        String customerId = caller.getSubject();
        Instant now = clock.instant();
        Currency currency = Amounts.currency(request.currency());
        long amountMinor = Amounts.parse(request.amount(), currency);
        long capMinor = DecimalAmounts.minorUnitsWithin(bankRules.voucherCapFor(currency.getCurrencyCode()), currency);
        if (amountMinor > capMinor) {
            throw ApiException.unprocessable("AMOUNT_EXCEEDS_VOUCHER_CAP", "A voucher may hold at most "
                    + DecimalAmounts.format(capMinor, currency.getCurrencyCode()) + " " + currency.getCurrencyCode());
        }
        if (request.expiresAt() != null && request.expiresAt().isAfter(LATEST_EXPIRY)) {
            // Far past any policy's longest validity (voucher-streams refuses those), and past what a record holds.
            throw ApiException.unprocessable("VALIDITY_TOO_LONG", "expiresAt is too far in the future");
        }
        // The request as its client sent it: a default account stands as such, for settings may change between a
        // request and its retry.
        String hash = IdempotencyKeys.hash("generate",
                request.accountId() == null ? IdempotencyKeys.DEFAULT : request.accountId(),
                Long.toString(amountMinor), currency.getCurrencyCode(), String.valueOf(request.expiresAt()));
        Mono<Void> inTime = request.expiresAt() == null || request.expiresAt().isAfter(now) ? Mono.empty()
                // Only a retry of a request that went on (a generation refused for step-up did not).
                : firstPublished(customerId, idempotencyKey, hash).hasElement()
                        .flatMap(retry -> retry ? Mono.<Void>empty()
                                : Mono.error(ApiException.unprocessable("VALIDITY_IN_PAST", "expiresAt must be in the future")));
        return inTime.then(customers.settingsOf(customerId))
                .flatMap(settings -> generationAccount(customerId, request.accountId(), settings, currency)
                        .onErrorResume(ApiException.class, refused -> accountOfRetried(customerId, idempotencyKey, hash)
                                .switchIfEmpty(Mono.error(refused)))
                        .flatMap(accountId -> publish(caller, settings, accountId, request, amountMinor, currency,
                                hash, idempotencyKey, prefer, now)));
    }

    /** The account named, or the customer's default: their own, in the voucher's currency. */
    private Mono<String> generationAccount(String customerId, String named, CustomerSettings settings, Currency currency) {
        String accountId = named != null ? named : settings.getDefaultGenerationAccountId();
        if (accountId == null) {
            return Mono.error(ApiException.unprocessable("ACCOUNT_REQUIRED", "Name the account to freeze the amount on"));
        }
        return customers.ownAccountIn(customerId, accountId, currency.getCurrencyCode()).map(Customers.OwnedAccount::accountId);
    }

    /**
     * The account a keyed retry's first request froze on, if that request went on: its account was checked when it
     * was first sent, and the settings or accounts it relied on may have changed since (a default account now in
     * another currency). The retry is answered as the first was, not refused. Read only where the check fails.
     */
    private Mono<String> accountOfRetried(String customerId, String idempotencyKey, String hash) {
        return firstPublished(customerId, idempotencyKey, hash).map(VoucherState::getAccountId);
    }

    /**
     * The voucher of the request this keyed one retries, if that request was published (its voucher exists); empty
     * for a first request, and for a retry of one that was refused before it was published (for step-up, say).
     */
    private Mono<VoucherState> firstPublished(String customerId, String idempotencyKey, String hash) {
        return idempotencyKeys.retried(customerId, idempotencyKey, hash)
                .flatMap(Mono::justOrEmpty)
                .flatMap(first -> reads.voucher(first.voucherId(), null))
                .mapNotNull(VoucherAnswer::getVoucher);
    }

    /** Claims the key and the sign-in, publishes the request, and waits for its outcome as the caller prefers. */
    private Mono<ResponseEntity<Dtos.Voucher>> publish(Jwt caller, CustomerSettings settings, String accountId,
                                                        Dtos.GenerateVoucher request, long amountMinor, Currency currency,
                                                        String hash, String idempotencyKey, String prefer, Instant now) {
        String customerId = caller.getSubject();
        // As the pipeline will have it: the amount at the currency's scale, the account the settings named.
        Dtos.GenerateVoucher resolved = new Dtos.GenerateVoucher(accountId,
                DecimalAmounts.format(amountMinor, currency.getCurrencyCode()), currency.getCurrencyCode(),
                request.expiresAt());
        IdempotencyKeys.Ids proposed = IdempotencyKeys.Ids.fresh(codes.newVoucherId(customerId, now));
        return idempotencyKeys.resolve(customerId, idempotencyKey, hash, proposed)
                .flatMap(ids -> stepUpFor(caller, settings, idempotencyKey, ids, proposed, now)
                        // Should it be answered before its voucher settles, it keeps its place until then.
                        .flatMap(stepUp -> AdmissionControl.publish(publisher.publish(new VoucherRequest(ids.requestId(),
                                                ids.voucherId(), customerId, now, new GenerateVoucher(accountId,
                                                amountMinor, currency.getCurrencyCode(), request.expiresAt(),
                                                VoucherCodes.hashOf(codes.codeOf(ids.voucherId()))))),
                                        properties.limits().maxWait(), within -> settlement(ids, within))
                                .then(recordFirstStepUp(customerId, settings, stepUp, now)))
                        .then(settledVoucher(ids, customerId, Prefer.waitOf(prefer, properties.limits().maxWait()),
                                idempotencyKey != null))
                        .map(settled -> settled.getStatus() == VoucherStatus.PENDING
                                ? Representations.accepted(representations.voucher(settled, customerId))
                                : ResponseEntity.ok().location(Representations.location(settled.getVoucherId()))
                                        .body(representations.voucher(settled, customerId)))
                        .defaultIfEmpty(Representations.accepted(Representations.pending(ids.voucherId(), resolved, now))));
    }

    /**
     * The sign-in that confirms the request, if one must, claimed for it. A keyed request's step-up is decided once
     * for its key ({@link IdempotencyKeys#decideStepUp}): a retry follows the decision an attempt made before it,
     * confirmed (it needs no sign-in of its own) or refused (it stays refused, also signed in afresh: SPEC section
     * 4), but for a request that was published: it was confirmed, or needed no confirmation, when it was sent. Where
     * none was made, a retry of a request that was published goes on; one of a request that went no further (a 503),
     * or not readable yet, decides as a new request does, also where it needs no step-up. Not covered: a retry whose
     * first attempt needed no step-up and is not readable yet, and whose settings have come to need one since, is
     * checked like a new request.
     */
    private Mono<Optional<Instant>> stepUpFor(Jwt caller, CustomerSettings settings, String idempotencyKey,
                                              IdempotencyKeys.Ids ids, IdempotencyKeys.Ids proposed, Instant now) {
        if (ids.equals(proposed)) {
            return stepUpNow(caller, settings, idempotencyKey, ids, now, false);
        }
        String customerId = caller.getSubject();
        Mono<Optional<Instant>> goesOn = Mono.just(Optional.empty());
        return idempotencyKeys.stepUpDecided(customerId, idempotencyKey, ids)
                .flatMap(decided -> decided.filter(IdempotencyKeys.StepUp::confirmed).isPresent()
                        ? confirmedBy(customerId, decided.get(), idempotencyKey, ids).then(goesOn)
                        : wasPublished(ids.voucherId()).flatMap(published -> published ? goesOn
                                : decided.isPresent() ? Mono.error(SignIns.stillRequired())
                                // Where a refusal is kept by the release before, which decided nothing.
                                : idempotencyKeys.stillRefusedForStepUp(customerId, idempotencyKey, ids.requestId())
                                        .then(Mono.defer(() -> stepUpNow(caller, settings, idempotencyKey, ids, now, true)))));
    }

    /**
     * The step-up check of a request sent for the first time, or whose key holds no decision yet: when the
     * customer's policy asks for it (SPEC "Generate"), the token must carry a sign-in ({@code auth_time}) recent
     * enough, which then confirms the voucher. The outcome is decided for the key before it is answered, and before
     * the sign-in is claimed for the voucher; a first request that needs no step-up decides nothing, and saves the
     * claim, while a retry decides that too: another attempt with the key may have read the settings when they needed
     * a sign-in, and be refused. This attempt's sign-in, if it decided the request's confirmation.
     */
    private Mono<Optional<Instant>> stepUpNow(Jwt caller, CustomerSettings settings, String idempotencyKey,
                                              IdempotencyKeys.Ids ids, Instant now, boolean retry) {
        boolean needed = settings.getStepUpPolicy() == StepUpPolicy.EVERY_TIME || !settings.getStepUpConfirmed();
        if (!needed && !retry) {
            return Mono.just(Optional.empty());
        }
        String customerId = caller.getSubject();
        Optional<Instant> signedInAt = needed ? signIns.fresh(caller, now) : Optional.empty();
        IdempotencyKeys.StepUp own = !needed ? IdempotencyKeys.StepUp.confirmedBy(null)
                : signedInAt.isEmpty() ? IdempotencyKeys.StepUp.REFUSED
                // Under FIRST_TIME_ONLY a fresh sign-in is all the first vouchers need.
                : IdempotencyKeys.StepUp.confirmedBy(settings.getStepUpPolicy() == StepUpPolicy.EVERY_TIME
                        ? SignIns.idOf(caller) : null);
        return idempotencyKeys.decideStepUp(customerId, idempotencyKey, ids, own)
                .flatMap(decided -> !decided.confirmed()
                        ? Mono.error(own.confirmed() ? SignIns.stillRequired() : stepUpRequired())
                        : confirmedBy(customerId, decided, idempotencyKey, ids)
                                .thenReturn(decided.equals(own) ? signedInAt : Optional.empty()));
    }

    /** Whether the request that first used these ids was published: its voucher exists. */
    private Mono<Boolean> wasPublished(String voucherId) {
        return reads.voucher(voucherId, null).map(answer -> answer.getVoucher() != null);
    }

    /**
     * Under EVERY_TIME each sign-in confirms one voucher only, however many requests carry it at once, to whichever
     * instances: the decision's sign-in is claimed for this voucher, first claim wins. Where another voucher has it, a
     * keyed request stays refused, since its key's decision names that sign-in.
     */
    private Mono<Void> confirmedBy(String customerId, IdempotencyKeys.StepUp decided, String idempotencyKey,
                                   IdempotencyKeys.Ids request) {
        if (decided.signIn() == null) {
            return Mono.empty();
        }
        return idempotencyKeys.claimSignIn(customerId, decided.signIn(), request)
                .flatMap(confirmed -> confirmed ? Mono.<Void>empty()
                        : Mono.error(idempotencyKey == null ? stepUpRequired() : SignIns.stillRequired()));
    }

    private static ApiException stepUpRequired() {
        return SignIns.required("Confirm this voucher by signing in again with your account password");
    }

    /**
     * Records that the customer once confirmed a voucher (what FIRST_TIME_ONLY asks for), as a change of
     * that one setting: merged in order with the customer's other changes, it cannot undo them. The voucher's
     * request is published by then, so a failure here must not answer that nothing was recorded: the customer is
     * only asked to confirm again next time.
     */
    private Mono<Void> recordFirstStepUp(String customerId, CustomerSettings settings, Optional<Instant> confirmedBy,
                                         Instant now) {
        if (confirmedBy.isEmpty() || settings.getStepUpConfirmed()) {
            return Mono.empty();
        }
        return publisher.publish(SettingsChange.newBuilder()
                        .setChangeId(UUID.randomUUID().toString())
                        .setCustomerId(customerId)
                        .setRequestedAt(now)
                        .setFirstStepUpAt(confirmedBy.get())
                        .build())
                .then()
                .onErrorResume(failure -> {
                    log.warn("The first step-up of {} was not recorded: the next voucher asks for one again", customerId,
                            failure);
                    return Mono.empty();
                });
    }

    /**
     * The voucher once its owner settled it, within the wait; without a wait, the voucher as it is when the
     * request repeats an Idempotency-Key (its first outcome), or nothing for a new request.
     */
    private Mono<VoucherState> settledVoucher(IdempotencyKeys.Ids ids, String customerId, Duration wait,
                                              boolean keyed) {
        Mono<VoucherAnswer> answer;
        if (wait.isZero()) {
            answer = keyed ? reads.voucher(ids.voucherId(), null) : Mono.empty();
        } else {
            answer = settlement(ids, wait);
        }
        return VoucherReads.afterPublished(answer.mapNotNull(VoucherAnswer::getVoucher)
                .filter(voucher -> Representations.isVisibleTo(voucher, customerId)));
    }

    /** The voucher once its owner settled it or refused its request, within {@code wait}. */
    private Mono<VoucherAnswer> settlement(IdempotencyKeys.Ids ids, Duration wait) {
        return reads.awaitUntil(ids.voucherId(), ids.requestId(), found -> found.getVoucher() != null
                && found.getVoucher().getStatus() != VoucherStatus.PENDING, wait);
    }
}
