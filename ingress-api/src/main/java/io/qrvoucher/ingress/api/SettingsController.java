package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.avro.RedemptionMode;
import io.qrvoucher.avro.StepUpPolicy;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Mono;

@RestController
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "settings", description = "Default accounts, redemption mode and step-up policy")
class SettingsController {

    private static final Duration READ_BACK = Duration.ofSeconds(5);
    private static final String SEND_AGAIN = "Send it again: a PUT sets the same fields again.";
    /** How many of the newest successful redemptions the last used destination is chosen among. */
    private static final int LAST_USED_AMONG = 10;

    private final Customers customers;
    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final SignIns signIns;
    private final IdempotencyKeys idempotencyKeys;
    private final Clock clock;

    SettingsController(Customers customers, VoucherReads reads, RequestPublisher publisher, SignIns signIns,
                       IdempotencyKeys idempotencyKeys, Clock clock) {
        this.customers = customers;
        this.reads = reads;
        this.publisher = publisher;
        this.signIns = signIns;
        this.idempotencyKeys = idempotencyKeys;
        this.clock = clock;
    }

    @GetMapping("/api/settings")
    @Operation(summary = "Your settings, and the destination of your last successful redemption")
    Mono<Dtos.Settings> settings(@AuthenticationPrincipal Jwt caller) {
        return customers.settingsOf(caller.getSubject()).flatMap(settings -> toDto(settings, caller.getSubject()));
    }

    @PutMapping("/api/settings")
    @Operation(summary = "Change your settings; fields left out keep their value. Weakening a security setting "
            + "(step-up to FIRST_TIME_ONLY, redemption to REDEEM_ON_SCAN) needs a fresh sign-in, else 403 STEP_UP_REQUIRED; "
            + "a change refused so and sent again with its Idempotency-Key stays refused, also after a fresh sign-in")
    @ApiResponse(responseCode = "200", description = "Your settings, with the change merged")
    @ApiResponse(responseCode = "403", description = "STEP_UP_REQUIRED: weakening a security setting needs a fresh "
            + "sign-in")
    @ApiResponse(responseCode = "429", description = OpenApiConfiguration.TOO_MANY_IN_FLIGHT)
    Mono<Dtos.Settings> update(@AuthenticationPrincipal Jwt caller, @RequestBody Dtos.Settings request,
                               @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) {
        if (idempotencyKey != null && !IdempotencyKeys.isValid(idempotencyKey)) {
            throw IdempotencyKeys.invalidKey();
        }
        String customerId = caller.getSubject();
        Instant now = clock.instant();
        RedemptionMode redemptionMode = request.redemptionMode() == null ? null
                : parse(RedemptionMode.class, request.redemptionMode(), "redemptionMode");
        StepUpPolicy stepUpPolicy = request.stepUpPolicy() == null ? null
                : parse(StepUpPolicy.class, request.stepUpPolicy(), "stepUpPolicy");
        // A change is a PUT: sent again, the same fields are set again. Its key serves only to keep a refusal for
        // step-up, and the same request is the same fields.
        String sameRequest = IdempotencyKeys.hash("settings", orDefault(request.defaultGenerationAccountId()),
                orDefault(request.defaultRedemptionAccountId()), String.valueOf(redemptionMode), String.valueOf(stepUpPolicy));
        Optional<Instant> freshSignIn = signIns.fresh(caller, now);
        return idempotencyKeys.stillRefusedForStepUp(customerId, idempotencyKey, sameRequest)
                .then(idempotencyKeys.keepingStepUpRefusal(
                        weakeningConfirmed(customerId, redemptionMode, stepUpPolicy, freshSignIn)
                                .then(Mono.defer(() -> change(customerId, now, request, redemptionMode, stepUpPolicy, freshSignIn))),
                        customerId, idempotencyKey, sameRequest, new IdempotencyKeys.Ids(customerId, sameRequest)));
    }

    /** Weakening a security setting needs a fresh sign-in. */
    private Mono<Void> weakeningConfirmed(String customerId, RedemptionMode redemptionMode, StepUpPolicy stepUpPolicy,
                                          Optional<Instant> freshSignIn) {
        if (freshSignIn.isPresent() || !VoucherRules.mayWeaken(redemptionMode, stepUpPolicy)) {
            return Mono.empty();
        }
        return customers.settingsOf(customerId).doOnNext(current -> {
            if (VoucherRules.weakens(current, redemptionMode, stepUpPolicy)) {
                throw weakeningRefused();
            }
        }).then();
    }

    private static ApiException weakeningRefused() {
        return SignIns.required("Weakening a security setting needs a fresh sign-in: sign in again with your account "
                + "password");
    }

    /**
     * Publishes the change of the fields sent and answers the settings once it is merged. A weakening sent without a
     * fresh sign-in (the settings read here were weak already) is not merged where a change in between made them
     * stronger, nor anything sent with it: that is refused for step-up, nothing changed. Told from the settings as
     * that change left them ({@link VoucherRules#notMerged}); read back only after later changes of the customer's
     * too, one that could weaken is answered "may have been done, send it again".
     */
    private Mono<Dtos.Settings> change(String customerId, Instant now, Dtos.Settings request,
                                       RedemptionMode redemptionMode, StepUpPolicy stepUpPolicy,
                                       Optional<Instant> freshSignIn) {
        SettingsChange.Builder change = SettingsChange.newBuilder()
                .setChangeId(UUID.randomUUID().toString())
                .setCustomerId(customerId)
                .setRequestedAt(now)
                .setRedemptionMode(redemptionMode)
                .setStepUpPolicy(stepUpPolicy)
                // The owner of the settings merges a weakening only with it: another change may have made them
                // stronger since they were read here.
                .setConfirmedBySignInAt(freshSignIn.orElse(null));
        Mono<Void> accountsChecked = Mono.when(
                ownAccount(customerId, request.defaultGenerationAccountId(), change::setDefaultGenerationAccountId),
                ownAccount(customerId, request.defaultRedemptionAccountId(), change::setDefaultRedemptionAccountId));
        // Only the fields sent are changed; voucher-streams merges changes in order, so none is lost. The
        // answer waits for this change to be merged: the caller reads their own write.
        return accountsChecked
                .then(Mono.defer(() -> AdmissionControl.publish(publisher.publish(change.build()), Duration.ZERO,
                        nothingLeft -> Mono.empty())))
                .flatMap(published -> reads.settingsAfter(customerId, published.offset(), READ_BACK)
                        .map(answer -> withChange(answer, published.offset()))
                        .doOnNext(after -> {
                            boolean notMerged = VoucherRules.notMerged(after, published.offset(), freshSignIn.isPresent(),
                                    redemptionMode, stepUpPolicy).orElseThrow(() -> new VoucherReads.Unconfirmed(
                                    "Settings changes merged after the one at offset " + published.offset()
                                            + " hide whether it was", SEND_AGAIN));
                            if (notMerged) {
                                throw weakeningRefused();
                            }
                        })
                        .flatMap(settings -> toDto(settings, customerId))
                        // Published: the change is merged whether or not it is read back in time.
                        .onErrorMap(VoucherReads.Unavailable.class, unread -> unread instanceof VoucherReads.Unconfirmed
                                ? unread : new VoucherReads.Unconfirmed(unread.getMessage(), SEND_AGAIN)));
    }

    /**
     * The settings read back, merged with the change published at {@code offset}: the owner answers after the wait
     * with the settings as they are then, which an owner behind (or a standby asked) has not merged the change into.
     * Answered as they were, they would tell the caller their change was not made, and it still is.
     */
    private static CustomerSettings withChange(SettingsAnswer answer, long offset) {
        if (answer.getSettings() == null || answer.getSettings().getChangeOffset() < offset) {
            throw new VoucherReads.Unconfirmed("The settings change at offset " + offset + " was not merged within "
                    + READ_BACK, SEND_AGAIN);
        }
        return answer.getSettings();
    }

    private static String orDefault(String accountId) {
        return accountId == null ? IdempotencyKeys.DEFAULT : accountId;
    }

    /** Checks that a default account the customer names is their own and open, and takes it into the change. */
    private Mono<Void> ownAccount(String customerId, String accountId, Consumer<String> into) {
        if (accountId == null) {
            return Mono.empty();
        }
        return customers.openOwnAccount(customerId, accountId)
                .doOnNext(account -> into.accept(account.getAccountId())).then();
    }

    /**
     * The settings, with the destination of the customer's redemption that succeeded last. The list is newest
     * request first, and a redemption settles up to its transfer's give-up later than it was asked for: the newest
     * few are read and the one that succeeded last taken. Among the payee's newest 10,000 entries (a page's budget of
     * the index) only: a payee whose last that many were not redeemed by them is shown none.
     */
    private Mono<Dtos.Settings> toDto(CustomerSettings settings, String customerId) {
        return reads.vouchersOf(customerId, VoucherStreamsReads.Role.PAYEE, Instant.EPOCH, Instant.parse("9999-01-01T00:00:00Z"),
                        EnumSet.of(VoucherStatus.REDEEMED), null, 0, LAST_USED_AMONG)
                .map(page -> page.getItems().stream().max(Comparator.comparing(VoucherState::getUpdatedAt))
                        .map(VoucherState::getRedemption)
                        .map(redemption -> Representations.destination(redemption.getDestination())))
                .map(lastUsed -> new Dtos.Settings(settings.getDefaultGenerationAccountId(),
                        settings.getDefaultRedemptionAccountId(), settings.getRedemptionMode().name(),
                        settings.getStepUpPolicy().name(), lastUsed.orElse(null)));
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value, String field) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("INVALID_SETTINGS", "Unknown " + field + " " + value);
        }
    }
}
