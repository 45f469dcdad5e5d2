package io.qrvoucher.ingress.api;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Currency;
import java.util.Optional;
import java.util.UUID;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.jwt.Jwt;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.CancelVoucher;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.RedemptionMode;
import io.qrvoucher.avro.StepUpPolicy;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.VoucherCodes;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.view.PipelineView;
import io.qrvoucher.ingress.view.RedemptionView;
import reactor.core.publisher.Mono;

/**
 * The write side of the API: checks what the ingress can check at once, publishes the request keyed
 * by its voucher, and, when the caller prefers to wait, waits for the pipeline's outcome in this
 * instance's view — without blocking a thread or polling the broker.
 */
final class VoucherOperations {

    private static final Duration CANCEL_WAIT = Duration.ofSeconds(5);
    private static final int MAX_TEXT = 100;

    private final PipelineView view;
    private final RequestPublisher publisher;
    private final VoucherCodes codes;
    private final Representations representations;
    private final IdempotencyKeys idempotencyKeys;
    private final WrongCodeLimiter wrongCodes;
    private final IngressProperties properties;
    private final Clock clock;

    VoucherOperations(PipelineView view, RequestPublisher publisher, VoucherCodes codes, IngressProperties properties,
                      Clock clock) {
        this.view = view;
        this.publisher = publisher;
        this.codes = codes;
        this.representations = new Representations(codes);
        this.idempotencyKeys = new IdempotencyKeys(view, publisher);
        this.wrongCodes = new WrongCodeLimiter(properties.limits().wrongCodesPerWindow(),
                properties.limits().wrongCodeWindow(), clock);
        this.properties = properties;
        this.clock = clock;
    }

    Representations representations() {
        return representations;
    }

    // ---- generate ----

    Mono<ResponseEntity<Dtos.Voucher>> generate(Jwt caller, Dtos.GenerateVoucher request, String idempotencyKey,
                                                 String prefer) {
        String customerId = caller.getSubject();
        Instant now = clock.instant();
        Currency currency = Amounts.currency(request.currency());
        long amountMinor = Amounts.parse(request.amount(), currency);
        if (amountMinor > Amounts.toMinor(properties.capFor(currency.getCurrencyCode()), currency)) {
            throw ApiException.unprocessable("AMOUNT_EXCEEDS_VOUCHER_CAP", "A voucher may hold at most "
                    + properties.capFor(currency.getCurrencyCode()).toPlainString() + " " + currency.getCurrencyCode());
        }
        CustomerSettings settings = settingsOf(customerId);
        String accountId = request.accountId() != null ? request.accountId() : settings.getDefaultGenerationAccountId();
        if (accountId == null) {
            throw ApiException.unprocessable("ACCOUNT_REQUIRED", "Name the account to freeze the amount on");
        }
        AccountSnapshot account = ownAccount(customerId, accountId);
        if (!account.getCurrency().equals(currency.getCurrencyCode())) {
            throw ApiException.unprocessable("CURRENCY_MISMATCH", "Account " + accountId + " is in " + account.getCurrency());
        }
        if (request.expiresAt() != null && !request.expiresAt().isAfter(now)) {
            throw ApiException.unprocessable("VALIDITY_IN_PAST", "expiresAt must be in the future");
        }
        // A retry of a key already claimed was confirmed when first sent; it must not need a new sign-in.
        boolean retry = idempotencyKey != null && view.firstClaim(customerId, idempotencyKey).isPresent();
        Instant stepUp = retry ? null : stepUpConfirmation(caller, settings, now);
        Dtos.GenerateVoucher resolved = new Dtos.GenerateVoucher(accountId, request.amount(), request.currency(),
                request.expiresAt());

        String hash = IdempotencyKeys.hash("generate", accountId, Long.toString(amountMinor), currency.getCurrencyCode(),
                String.valueOf(request.expiresAt()));
        return idempotencyKeys.resolve(customerId, idempotencyKey, hash, IdempotencyKeys.Ids.fresh(UUID.randomUUID().toString()))
                .flatMap(ids -> confirmStepUp(customerId, settings, stepUp, ids)
                        .then(publisher.publish(new VoucherRequest(ids.requestId(), ids.voucherId(), customerId, now,
                                new GenerateVoucher(accountId, amountMinor, currency.getCurrencyCode(), request.expiresAt(),
                                        VoucherCodes.hashOf(codes.codeOf(ids.voucherId()))))))
                        .then(recordFirstStepUp(settings, stepUp, now))
                        .then(settledVoucher(ids.voucherId(), customerId, Prefer.waitOf(prefer, properties.limits().maxWait())))
                        .map(settled -> respond(settled, customerId))
                        .defaultIfEmpty(accepted(ids.voucherId(), customerId, resolved, now)));
    }

    /**
     * The step-up rule of SPEC "Generate": when the customer's policy asks for it, the token must carry
     * a sign-in ({@code auth_time}) recent enough; it is then the sign-in that must confirm the voucher.
     */
    private Instant stepUpConfirmation(Jwt caller, CustomerSettings settings, Instant now) {
        boolean needed = settings.getStepUpPolicy() == StepUpPolicy.EVERY_TIME || !settings.getStepUpConfirmed();
        Instant authTime = caller.getClaimAsInstant("auth_time");
        if (!needed) {
            return null;
        }
        if (authTime == null || authTime.isBefore(now.minus(properties.security().stepUpMaxAge()))) {
            throw stepUpRequired();
        }
        return authTime;
    }

    /**
     * Under EVERY_TIME each sign-in confirms one voucher only, however many requests carry it at once,
     * to whichever instances. Under FIRST_TIME_ONLY a fresh sign-in is all the first vouchers need.
     */
    private Mono<Void> confirmStepUp(String customerId, CustomerSettings settings, Instant signIn,
                                     IdempotencyKeys.Ids request) {
        if (signIn == null || settings.getStepUpPolicy() != StepUpPolicy.EVERY_TIME) {
            return Mono.empty();
        }
        return idempotencyKeys.claimSignIn(customerId, signIn, request)
                .flatMap(confirmed -> confirmed ? Mono.<Void>empty() : Mono.error(stepUpRequired()));
    }

    private static ApiException stepUpRequired() {
        return new ApiException(HttpStatus.FORBIDDEN, "STEP_UP_REQUIRED",
                "Confirm this voucher by signing in again with your account password");
    }

    /**
     * Records that the customer once confirmed a voucher (what FIRST_TIME_ONLY asks for). Written once:
     * settings are read, changed and written whole, so a write on every generation could overwrite a
     * change the customer made at the same moment.
     */
    private Mono<Void> recordFirstStepUp(CustomerSettings settings, Instant confirmedBy, Instant now) {
        if (confirmedBy == null || settings.getStepUpConfirmed()) {
            return Mono.empty();
        }
        CustomerSettings updated = CustomerSettings.newBuilder(settings)
                .setStepUpConfirmed(true)
                .setLastStepUpAt(confirmedBy)
                .setVersion(settings.getVersion() + 1)
                .setUpdatedAt(now)
                .build();
        return publisher.publish(updated).then();
    }

    private ResponseEntity<Dtos.Voucher> accepted(String voucherId, String customerId, Dtos.GenerateVoucher request,
                                                  Instant now) {
        Dtos.Voucher body = view.voucher(voucherId)
                .map(voucher -> representations.voucher(voucher, customerId))
                .orElseGet(() -> Representations.pending(voucherId, request, now));
        return ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create("/api/vouchers/" + voucherId)).body(body);
    }

    private ResponseEntity<Dtos.Voucher> respond(VoucherState voucher, String customerId) {
        return ResponseEntity.ok().location(URI.create("/api/vouchers/" + voucher.getVoucherId()))
                .body(representations.voucher(voucher, customerId));
    }

    private Mono<VoucherState> settledVoucher(String voucherId, String customerId, Duration wait) {
        if (wait.isZero()) {
            return Mono.empty();
        }
        return view.await(voucherId, () -> view.voucher(voucherId)
                .filter(voucher -> voucher.getStatus() != VoucherStatus.PENDING)
                .filter(voucher -> Representations.isVisibleTo(voucher, customerId)), wait);
    }

    // ---- redeem ----

    Mono<ResponseEntity<Dtos.Redemption>> redeem(String customerId, Dtos.Redeem request, String idempotencyKey,
                                                  String prefer) {
        wrongCodes.checkAllowed(customerId);
        if (request.code() == null || request.code().isBlank()) {
            throw ApiException.unprocessable("CODE_REQUIRED", "Give the voucher's code, or a picture of its QR code");
        }
        Optional<String> genuine = codes.voucherIdOf(request.code().trim());
        Optional<VoucherState> found = genuine.flatMap(view::voucher);
        if (found.isEmpty()) {
            wrongCodes.recordFailure(customerId);
            throw ApiException.unprocessable("INVALID_CODE", "This is not the code of a voucher");
        }
        VoucherState voucher = found.get();
        Currency currency = Currency.getInstance(voucher.getCurrency());
        Long amountMinor = request.amount() == null ? null : Amounts.parse(request.amount(), currency);
        Object destination = destinationOf(customerId, request, voucher.getCurrency());
        Instant now = clock.instant();

        String hash = IdempotencyKeys.hash("redeem", request.code().trim(), String.valueOf(amountMinor), destination.toString());
        return idempotencyKeys.resolve(customerId, idempotencyKey, hash, IdempotencyKeys.Ids.fresh(voucher.getVoucherId()))
                .flatMap(ids -> publisher.publish(new VoucherRequest(ids.requestId(), voucher.getVoucherId(), customerId, now,
                                new RedeemVoucher(VoucherCodes.hashOf(request.code().trim()), amountMinor, destination)))
                        .then(settledRedemption(ids.requestId(), voucher.getVoucherId(),
                                Prefer.waitOf(prefer, properties.limits().maxWait())))
                        .map(settled -> ResponseEntity.ok().location(URI.create("/api/redemptions/" + ids.requestId()))
                                .body(Representations.redemption(settled, voucher.getCurrency())))
                        .defaultIfEmpty(ResponseEntity.status(HttpStatus.ACCEPTED)
                                .location(URI.create("/api/redemptions/" + ids.requestId()))
                                .body(new Dtos.Redemption(ids.requestId(), voucher.getVoucherId(), "PENDING", null,
                                        amountMinor == null ? null : Amounts.format(amountMinor, voucher.getCurrency()),
                                        voucher.getCurrency(), Representations.destination(destination), now))));
    }

    private Mono<RedemptionView> settledRedemption(String redemptionId, String voucherId, Duration wait) {
        if (wait.isZero()) {
            return Mono.empty();
        }
        return view.await(voucherId, () -> view.redemption(redemptionId).filter(RedemptionView::isSettled), wait);
    }

    /** The payee's own account, an account at another bank, or the default the payee's settings allow. */
    private Object destinationOf(String customerId, Dtos.Redeem request, String currency) {
        if (request.accountId() != null && request.externalAccount() != null) {
            throw ApiException.unprocessable("AMBIGUOUS_DESTINATION", "Give accountId or externalAccount, not both");
        }
        if (request.externalAccount() != null) {
            Dtos.ExternalAccount external = request.externalAccount();
            if (!isText(external.bank()) || !isText(external.name()) || !isText(external.number())) {
                throw ApiException.unprocessable("INVALID_EXTERNAL_ACCOUNT",
                        "An account at another bank needs its bank, holder name and number (each up to " + MAX_TEXT + " characters)");
            }
            return new ExternalAccount(external.bank().trim(), external.name().trim(), external.number().trim());
        }
        String accountId = request.accountId();
        if (accountId == null) {
            CustomerSettings settings = settingsOf(customerId);
            if (settings.getRedemptionMode() != RedemptionMode.REDEEM_ON_SCAN) {
                throw ApiException.unprocessable("DESTINATION_REQUIRED",
                        "Choose the account to receive the money (your redemption mode is scan, then confirm)");
            }
            accountId = Optional.ofNullable(settings.getDefaultRedemptionAccountId())
                    .or(() -> view.accountsOf(customerId).stream()
                            .filter(account -> account.getCurrency().equals(currency))
                            .map(AccountSnapshot::getAccountId).findFirst())
                    .orElseThrow(() -> ApiException.unprocessable("DESTINATION_REQUIRED",
                            "You have no account in " + currency + " to receive the money"));
        }
        AccountSnapshot account = ownAccount(customerId, accountId);
        if (!account.getCurrency().equals(currency)) {
            throw ApiException.unprocessable("CURRENCY_MISMATCH", "Account " + accountId + " is in " + account.getCurrency());
        }
        return new OwnAccount(accountId);
    }

    // ---- cancel ----

    Mono<ResponseEntity<Dtos.Voucher>> cancel(String customerId, String voucherId, String idempotencyKey, String prefer) {
        VoucherState voucher = view.voucher(voucherId)
                .filter(found -> Representations.isVisibleTo(found, customerId))
                .orElseThrow(() -> ApiException.notFound("Voucher " + voucherId));
        if (!voucher.getPayerCustomerId().equals(customerId)) {
            throw new ApiException(HttpStatus.FORBIDDEN, "NOT_OWNER", "Only the payer may cancel a voucher");
        }
        Duration wait = prefer == null ? CANCEL_WAIT : Prefer.waitOf(prefer, properties.limits().maxWait());
        return idempotencyKeys.resolve(customerId, idempotencyKey, IdempotencyKeys.hash("cancel", voucherId),
                        IdempotencyKeys.Ids.fresh(voucherId))
                .flatMap(ids -> publisher.publish(new VoucherRequest(ids.requestId(), voucherId, customerId,
                                clock.instant(), new CancelVoucher()))
                        .then(view.await(voucherId, () -> cancelOutcome(voucherId, ids.requestId()), wait))
                        .map(outcome -> {
                            if (outcome.refusal() != null) {
                                throw ApiException.conflict(outcome.refusal(), "The voucher cannot be cancelled: "
                                        + outcome.refusal());
                            }
                            return ResponseEntity.ok(representations.voucher(outcome.voucher(), customerId));
                        })
                        .defaultIfEmpty(ResponseEntity.status(HttpStatus.ACCEPTED)
                                .body(representations.voucher(view.voucher(voucherId).orElse(voucher), customerId))));
    }

    private record CancelOutcome(VoucherState voucher, String refusal) {
    }

    private Optional<CancelOutcome> cancelOutcome(String voucherId, String requestId) {
        Optional<CancelOutcome> refused = view.refusal(requestId).map(event -> new CancelOutcome(null, event.getReason()));
        return refused.or(() -> view.voucher(voucherId)
                .filter(voucher -> requestId.equals(voucher.getCancelRequestId()))
                .map(voucher -> new CancelOutcome(voucher, null)));
    }

    // ---- helpers ----

    CustomerSettings settingsOf(String customerId) {
        return view.settings(customerId).orElseGet(() -> CustomerSettings.newBuilder()
                .setCustomerId(customerId)
                .setUpdatedAt(Instant.EPOCH)
                .build());
    }

    AccountSnapshot ownAccount(String customerId, String accountId) {
        return view.account(accountId)
                .filter(account -> account.getOwnerCustomerId().equals(customerId))
                .orElseThrow(() -> ApiException.unprocessable("ACCOUNT_NOT_FOUND", "You have no account " + accountId));
    }

    private static boolean isText(String value) {
        return value != null && !value.isBlank() && value.length() <= MAX_TEXT;
    }
}
