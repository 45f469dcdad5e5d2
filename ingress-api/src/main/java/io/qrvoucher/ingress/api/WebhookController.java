package io.qrvoucher.ingress.api;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.reads.WebhookEndpoints;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Mono;

/**
 * Webhooks: a customer registers endpoints that get their vouchers' events, signed (docs/architecture.md,
 * "Webhooks"), lists their deliveries and resends one. The endpoints belong to the webhook delivery service,
 * which checks and keeps them; the ingress authenticates the customer and passes the request on.
 */
@RestController
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "webhooks", description = "Signed webhooks of your vouchers' events")
class WebhookController {

    private static final String STEP_UP_REQUIRED = "STEP_UP_REQUIRED: this needs a fresh sign-in, a retry too";

    private final WebhookEndpoints webhooks;
    private final SignIns signIns;
    private final IdempotencyKeys idempotencyKeys;
    private final Clock clock;
    private final int maxPageSize;

    WebhookController(WebhookEndpoints webhooks, SignIns signIns, IdempotencyKeys idempotencyKeys, Clock clock,
                      IngressProperties properties) {
        this.webhooks = webhooks;
        this.signIns = signIns;
        this.idempotencyKeys = idempotencyKeys;
        this.clock = clock;
        this.maxPageSize = properties.limits().maxPageSize();
    }

    @PostMapping("/api/webhooks")
    @Operation(summary = "Register an endpoint: 201 with its signing secret, shown this once. Only https URLs on public "
            + "addresses. A retry with the same Idempotency-Key answers 200 with the same endpoint. Needs a fresh "
            + "sign-in, a retry too, else 403 STEP_UP_REQUIRED; a registration refused so and sent again with its "
            + "Idempotency-Key stays refused, also after a fresh sign-in")
    @ApiResponse(responseCode = "201", description = "Registered: the endpoint with its signing secret, shown this once",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the endpoint",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "200", description = "A retry with the same Idempotency-Key: the same endpoint",
            headers = @Header(name = HttpHeaders.LOCATION, description = "the endpoint",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "403", description = STEP_UP_REQUIRED)
    @ApiResponse(responseCode = "429", description = "WEBHOOK_URL_LOOKUP_IN_PROGRESS: a URL you registered is still "
            + "being looked up; send this registration once it is answered")
    Mono<ResponseEntity<WebhookDtos.Endpoint>> register(@AuthenticationPrincipal Jwt caller,
                                                        @RequestBody WebhookDtos.Registration registration,
                                                        @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) {
        String request = IdempotencyKeys.hash("webhook registration", String.valueOf(registration.url()),
                String.valueOf(registration.eventTypes()));
        return signedInAfresh(caller, idempotencyKey, request, "Registering a webhook endpoint",
                key -> webhooks.register(caller.getSubject(), registration.url(), registration.eventTypes(), key))
                .map(answer -> ResponseEntity.status(answer.status().value() == 201 ? HttpStatus.CREATED : HttpStatus.OK)
                        .location(URI.create("/api/webhooks/" + answer.body().id()))
                        .body(WebhookDtos.Endpoint.of(answer.body())));
    }

    @GetMapping("/api/webhooks")
    @Operation(summary = "Your endpoints (without their secrets)")
    Mono<List<WebhookDtos.Endpoint>> endpoints(@AuthenticationPrincipal Jwt caller) {
        return webhooks.endpointsOf(caller.getSubject())
                .map(endpoints -> endpoints.stream().map(WebhookDtos.Endpoint::of).toList())
                .onErrorMap(WebhookEndpoints.Refused.class, WebhookController::problem);
    }

    /** Where a registration's {@code Location} points: it pointed at nothing a client could read (405). */
    @GetMapping("/api/webhooks/{id}")
    @Operation(summary = "One of your endpoints (without its secret); 404 if you have none with this id")
    Mono<WebhookDtos.Endpoint> endpoint(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return webhooks.endpointsOf(caller.getSubject())
                .flatMap(endpoints -> Mono.justOrEmpty(endpoints.stream().filter(endpoint -> endpoint.id().equals(id))
                        .findFirst()))
                .map(WebhookDtos.Endpoint::of)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("Webhook endpoint")))
                .onErrorMap(WebhookEndpoints.Refused.class, WebhookController::problem);
    }

    @PostMapping("/api/webhooks/{id}/enable")
    @Operation(summary = "Enable an endpoint its receiver had disabled by answering 410 Gone: 200 with the endpoint. "
            + "What was queued for it when it was disabled is sent on, in order per voucher, each voucher's first at once (a queue left "
            + "disabled for a day is given up); events of the time between were not queued for it. Enabling one that "
            + "is enabled changes nothing. No fresh sign-in nor Idempotency-Key: it sends nowhere new, and is the same "
            + "however often it is sent")
    Mono<WebhookDtos.Endpoint> enable(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return webhooks.enable(caller.getSubject(), id)
                .map(WebhookDtos.Endpoint::of)
                .onErrorMap(WebhookEndpoints.Refused.class, WebhookController::problem);
    }

    @DeleteMapping("/api/webhooks/{id}")
    @Operation(summary = "Remove an endpoint, with its deliveries; nothing more is sent to it",
            description = "204. It waits for an attempt under way to the endpoint, which may take up to about 15 s: give "
                    + "the call 20 s. A 404 to a retry of a removal means the endpoint is gone.")
    @ApiResponse(responseCode = "204", description = "Removed")
    @ApiResponse(responseCode = "429", description = "WEBHOOK_REMOVAL_IN_PROGRESS: another removal of yours is under "
            + "way; send this one once it is answered")
    Mono<ResponseEntity<Void>> remove(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        return webhooks.remove(caller.getSubject(), id)
                .then(Mono.just(ResponseEntity.noContent().<Void>build()))
                .onErrorMap(WebhookEndpoints.Refused.class, WebhookController::problem);
    }

    @PostMapping("/api/webhooks/{id}/secret-rotations")
    @Operation(summary = "Replace the endpoint's signing secret: 201 with the new one, shown this once. Deliveries are "
            + "signed with both secrets until previousSecretExpiresAt, so that the receiver can take the new one "
            + "meanwhile; 0 stops the old one at once. A retry with the same Idempotency-Key answers 200 with the same "
            + "rotation. Needs a fresh sign-in, as a registration does")
    @ApiResponse(responseCode = "201", description = "Rotated: the new signing secret, shown this once")
    @ApiResponse(responseCode = "200", description = "A retry with the same Idempotency-Key: the same rotation")
    @ApiResponse(responseCode = "403", description = STEP_UP_REQUIRED)
    Mono<ResponseEntity<WebhookDtos.SecretRotation>> rotateSecret(@AuthenticationPrincipal Jwt caller,
                                                                  @PathVariable String id,
                                                                  @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                                                                          schema = @Schema(implementation = WebhookDtos.SecretRotationRequest.class)))
                                                                  @RequestBody(required = false) String rotation,
                                                                  @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) {
        Long previousSecretExpiresIn = WebhookDtos.SecretRotationRequest.of(rotation).previousSecretExpiresInSeconds();
        String request = IdempotencyKeys.hash("webhook secret rotation", id, String.valueOf(previousSecretExpiresIn));
        return signedInAfresh(caller, idempotencyKey, request, "Rotating a webhook endpoint's secret",
                key -> webhooks.rotateSecret(caller.getSubject(), id, previousSecretExpiresIn, key))
                .map(answer -> ResponseEntity.status(answer.status().value() == 201 ? HttpStatus.CREATED : HttpStatus.OK)
                        .body(WebhookDtos.SecretRotation.of(answer.body())));
    }

    @GetMapping("/api/webhooks/{id}/deliveries")
    @Operation(summary = "The endpoint's deliveries, newest first, each with its attempts; the next page with "
            + "before=<the last delivery's id>")
    Mono<List<WebhookDtos.Delivery>> deliveries(@AuthenticationPrincipal Jwt caller, @PathVariable String id,
                                                @RequestParam(required = false) Long before,
                                                @RequestParam(defaultValue = "20") int size) {
        if (size < 1 || size > maxPageSize) {
            throw ApiException.badRequest("INVALID_QUERY", "size must be 1 to " + maxPageSize);
        }
        return webhooks.deliveriesOf(caller.getSubject(), id, before, size)
                .map(deliveries -> deliveries.stream().map(WebhookDtos.Delivery::of).toList())
                .onErrorMap(WebhookEndpoints.Refused.class, WebhookController::problem);
    }

    @PostMapping("/api/webhooks/{id}/deliveries/{deliveryId}/resend")
    @Operation(summary = "Send a delivery's event again: 202 with the new delivery, queued after its voucher's pending deliveries to the endpoint. "
            + "It carries the same event id (QRVoucher-Event-Id) and a new delivery id")
    @ApiResponse(responseCode = "202", description = "Queued: the new delivery")
    Mono<ResponseEntity<WebhookDtos.Delivery>> resend(@AuthenticationPrincipal Jwt caller, @PathVariable String id,
                                                      @PathVariable String deliveryId,
                                                      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) {
        if (!deliveryId.matches("\\d{1,18}")) {
            throw ApiException.notFound("Delivery");
        }
        String request = IdempotencyKeys.hash("webhook resend", id, deliveryId);
        return claimed(caller.getSubject(), idempotencyKey, request).then(keyOrNew(idempotencyKey))
                .flatMap(key -> webhooks.resend(caller.getSubject(), id, deliveryId, key))
                .map(delivery -> ResponseEntity.accepted().body(WebhookDtos.Delivery.of(delivery)))
                .onErrorMap(WebhookEndpoints.Refused.class, WebhookController::problem);
    }

    /**
     * Asks the webhook service for a request that makes a signing secret or sends the customer's events somewhere
     * new, with a fresh sign-in only: what a token stolen without the password cannot do (SPEC section 4, like
     * weakening a setting; a rotated secret would let its thief sign webhooks the customer's receiver trusts). A
     * retry needs one too, since its answer may carry the secret. A refusal for step-up is kept under the client's
     * key.
     */
    private <T> Mono<T> signedInAfresh(Jwt caller, String idempotencyKey, String request, String action,
                                       Function<String, Mono<T>> askWithKey) {
        if (idempotencyKey != null && !IdempotencyKeys.isValid(idempotencyKey)) {
            throw IdempotencyKeys.invalidKey();
        }
        String customerId = caller.getSubject();
        Mono<T> asked = signIns.fresh(caller, clock.instant()).isPresent()
                ? claimed(customerId, idempotencyKey, request).then(keyOrNew(idempotencyKey)).flatMap(askWithKey)
                        .onErrorMap(WebhookEndpoints.Refused.class, WebhookController::problem)
                : Mono.error(SignIns.required(action + " needs a fresh sign-in: sign in again with your account password"));
        return idempotencyKeys.stillRefusedForStepUp(customerId, idempotencyKey, request)
                .then(idempotencyKeys.keepingStepUpRefusal(asked, customerId, idempotencyKey, request,
                        new IdempotencyKeys.Ids(customerId, request)));
    }

    /**
     * Claims the client's key for this request among all of the customer's (SPEC section 3): one sent before with
     * another request — another endpoint's rotation, a voucher — is refused, 422 IDEMPOTENCY_KEY_REUSED. The webhook
     * service knows a key per endpoint and per kind of request only, and acted on it again.
     */
    private Mono<Void> claimed(String customerId, String idempotencyKey, String request) {
        return idempotencyKeys.resolve(customerId, idempotencyKey, request, new IdempotencyKeys.Ids(customerId, request))
                .then();
    }

    /**
     * The client's key, or one of our own: the owner is always asked with a key, so that asking a second instance
     * after the first did not answer never acts twice.
     */
    private static Mono<String> keyOrNew(String idempotencyKey) {
        if (idempotencyKey == null) {
            return Mono.just("ingress-" + UUID.randomUUID());
        }
        return IdempotencyKeys.isValid(idempotencyKey) ? Mono.just(idempotencyKey)
                : Mono.error(IdempotencyKeys.invalidKey());
    }

    private static ApiException problem(WebhookEndpoints.Refused refused) {
        if (refused.status().value() == 404) {
            return ApiException.notFound("Webhook endpoint or delivery");
        }
        ApiException problem = new ApiException(refused.status(), refused.code(), refused.getMessage());
        return refused.retryAfterSeconds().map(problem::retryAfter).orElse(problem);
    }
}
