package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.RedemptionMode;
import io.qrvoucher.avro.StepUpPolicy;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.ingress.view.PipelineView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Mono;

@RestController
@Tag(name = "settings", description = "Default accounts, redemption mode and step-up policy")
class SettingsController {

    private static final Duration READ_BACK = Duration.ofSeconds(5);

    private final Customers customers;
    private final PipelineView view;
    private final VoucherReads reads;
    private final RequestPublisher publisher;
    private final Clock clock;

    SettingsController(Customers customers, PipelineView view, VoucherReads reads, RequestPublisher publisher,
                       Clock clock) {
        this.customers = customers;
        this.view = view;
        this.reads = reads;
        this.publisher = publisher;
        this.clock = clock;
    }

    @GetMapping("/api/settings")
    @Operation(summary = "Your settings, and the destination of your last successful redemption")
    Mono<Dtos.Settings> settings(@AuthenticationPrincipal Jwt caller) {
        return toDto(customers.settingsOf(caller.getSubject()), caller.getSubject());
    }

    @PutMapping("/api/settings")
    @Operation(summary = "Change your settings; fields left out keep their value")
    Mono<Dtos.Settings> update(@AuthenticationPrincipal Jwt caller, @RequestBody Dtos.Settings request) {
        String customerId = caller.getSubject();
        CustomerSettings current = customers.settingsOf(customerId);
        CustomerSettings.Builder updated = CustomerSettings.newBuilder(current)
                .setVersion(current.getVersion() + 1)
                .setUpdatedAt(clock.instant());
        if (request.defaultGenerationAccountId() != null) {
            updated.setDefaultGenerationAccountId(customers.ownAccount(customerId, request.defaultGenerationAccountId()).getAccountId());
        }
        if (request.defaultRedemptionAccountId() != null) {
            updated.setDefaultRedemptionAccountId(customers.ownAccount(customerId, request.defaultRedemptionAccountId()).getAccountId());
        }
        if (request.redemptionMode() != null) {
            updated.setRedemptionMode(parse(RedemptionMode.class, request.redemptionMode(), "redemptionMode"));
        }
        if (request.stepUpPolicy() != null) {
            updated.setStepUpPolicy(parse(StepUpPolicy.class, request.stepUpPolicy(), "stepUpPolicy"));
        }
        CustomerSettings settings = updated.build();
        // Read your write: answer once this instance's view has the new version.
        return publisher.publish(settings)
                .then(view.awaitUntil(() -> view.settings(customerId)
                                .map(known -> known.getVersion() >= settings.getVersion()).orElse(false))
                        .timeout(READ_BACK, Mono.empty()))
                .then(Mono.defer(() -> toDto(customers.settingsOf(customerId), customerId)));
    }

    /** The settings, with the destination of the customer's newest redemption that succeeded. */
    private Mono<Dtos.Settings> toDto(CustomerSettings settings, String customerId) {
        return reads.vouchersOf(customerId, VoucherReads.Role.PAYEE, Instant.EPOCH, Instant.parse("9999-01-01T00:00:00Z"),
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
