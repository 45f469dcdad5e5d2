package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Consumer;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.avro.RedemptionMode;
import io.qrvoucher.avro.StepUpPolicy;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Mono;

@RestController
@Tag(name = "settings", description = "Default accounts, redemption mode and step-up policy")
class SettingsController {

    private static final Duration READ_BACK = Duration.ofSeconds(5);

    private final Customers customers;
    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final SignIns signIns;
    private final Clock clock;

    SettingsController(Customers customers, VoucherReads reads, RequestPublisher publisher, SignIns signIns, Clock clock) {
        this.customers = customers;
        this.reads = reads;
        this.publisher = publisher;
        this.signIns = signIns;
        this.clock = clock;
    }

    @GetMapping("/api/settings")
    @Operation(summary = "Your settings, and the destination of your last successful redemption")
    Mono<Dtos.Settings> settings(@AuthenticationPrincipal Jwt caller) {
        return customers.settingsOf(caller.getSubject()).flatMap(settings -> toDto(settings, caller.getSubject()));
    }

    @PutMapping("/api/settings")
    @Operation(summary = "Change your settings; fields left out keep their value. Weakening a security setting "
            + "(step-up to FIRST_TIME_ONLY, redemption to REDEEM_ON_SCAN) needs a fresh sign-in, else 403 STEP_UP_REQUIRED")
    Mono<Dtos.Settings> update(@AuthenticationPrincipal Jwt caller, @RequestBody Dtos.Settings request) {
        String customerId = caller.getSubject();
        Instant now = clock.instant();
        SettingsChange.Builder change = SettingsChange.newBuilder()
                .setChangeId(UUID.randomUUID().toString())
                .setCustomerId(customerId)
                .setRequestedAt(now);
        RedemptionMode redemptionMode = request.redemptionMode() == null ? null
                : parse(RedemptionMode.class, request.redemptionMode(), "redemptionMode");
        StepUpPolicy stepUpPolicy = request.stepUpPolicy() == null ? null
                : parse(StepUpPolicy.class, request.stepUpPolicy(), "stepUpPolicy");
        change.setRedemptionMode(redemptionMode).setStepUpPolicy(stepUpPolicy);
        Mono<Void> weakeningConfirmed = redemptionMode != RedemptionMode.REDEEM_ON_SCAN
                && stepUpPolicy != StepUpPolicy.FIRST_TIME_ONLY ? Mono.empty()
                : customers.settingsOf(customerId).doOnNext(current -> {
                    if (weakens(current, redemptionMode, stepUpPolicy) && signIns.fresh(caller, now).isEmpty()) {
                        throw SignIns.required("Weakening a security setting needs a fresh sign-in: sign in again "
                                + "with your account password");
                    }
                }).then();
        Mono<Void> accountsChecked = Mono.when(
                ownAccount(customerId, request.defaultGenerationAccountId(), change::setDefaultGenerationAccountId),
                ownAccount(customerId, request.defaultRedemptionAccountId(), change::setDefaultRedemptionAccountId));
        // Only the fields sent are changed; voucher-streams merges changes in order, so none is lost. The
        // answer waits for this change to be merged: the caller reads their own write.
        return weakeningConfirmed.then(accountsChecked)
                .then(Mono.defer(() -> publisher.publish(change.build())))
                .flatMap(published -> reads.settingsAfter(customerId, published.offset(), READ_BACK))
                .map(answer -> Customers.orDefaults(answer, customerId))
                .flatMap(settings -> toDto(settings, customerId));
    }

    /**
     * Whether the change lowers a protection against a stolen token: confirming vouchers only the first
     * time, or redeeming on scan without a confirmation.
     */
    private static boolean weakens(CustomerSettings current, RedemptionMode redemptionMode, StepUpPolicy stepUpPolicy) {
        return stepUpPolicy == StepUpPolicy.FIRST_TIME_ONLY && current.getStepUpPolicy() != StepUpPolicy.FIRST_TIME_ONLY
                || redemptionMode == RedemptionMode.REDEEM_ON_SCAN && current.getRedemptionMode() != RedemptionMode.REDEEM_ON_SCAN;
    }

    /** Checks that a default account the customer names is their own and open, and takes it into the change. */
    private Mono<Void> ownAccount(String customerId, String accountId, Consumer<String> into) {
        if (accountId == null) {
            return Mono.empty();
        }
        return customers.openOwnAccount(customerId, accountId)
                .doOnNext(account -> into.accept(account.getAccountId())).then();
    }

    /** The settings, with the destination of the customer's newest redemption that succeeded. */
    private Mono<Dtos.Settings> toDto(CustomerSettings settings, String customerId) {
        return reads.vouchersOf(customerId, VoucherStreamsReads.Role.PAYEE, Instant.EPOCH, Instant.parse("9999-01-01T00:00:00Z"),
                        EnumSet.of(VoucherStatus.REDEEMED), null, 0, 1)
                .map(page -> page.getItems().stream().findFirst()
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
