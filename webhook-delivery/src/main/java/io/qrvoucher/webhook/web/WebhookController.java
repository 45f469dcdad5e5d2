package io.qrvoucher.webhook.web;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.support.Problems;
import io.qrvoucher.webhook.WebhookProperties;
import io.qrvoucher.webhook.core.EndpointUrls;
import io.qrvoucher.webhook.core.EventTypes;
import io.qrvoucher.webhook.core.Refusal;
import io.qrvoucher.webhook.store.Delivery;
import io.qrvoucher.webhook.store.Endpoint;
import io.qrvoucher.webhook.store.SecretRotation;
import io.qrvoucher.webhook.store.WebhookStore;
import io.qrvoucher.webhook.store.WebhookStore.Registered;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The internal API of the webhook service, for the ingress, which authenticates the customer and names them
 * in the path: a customer's endpoints and their deliveries, read and changed in the service's database. Any
 * instance answers. Keep it off the public network, like the other services' {@code /internal/**}.
 * Refusals are RFC 9457 problem details with a {@code code}, which the ingress passes on.
 */
@RestController
class WebhookController {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    private static final int MAX_PAGE = 100;

    /** What a customer asks to register. */
    record Registration(String url, List<String> eventTypes) {
    }

    /** How long the secrets a rotation replaces still sign deliveries; null for the longest, 24 hours. */
    record Rotation(Long previousSecretExpiresInSeconds) {

        Duration previousValidFor() {
            long longest = WebhookStore.MAX_PREVIOUS_SECRET_VALIDITY.toSeconds();
            if (previousSecretExpiresInSeconds == null) {
                return WebhookStore.MAX_PREVIOUS_SECRET_VALIDITY;
            }
            if (previousSecretExpiresInSeconds < 0 || previousSecretExpiresInSeconds > longest) {
                throw new Refusal("INVALID_SECRET_ROTATION", "previousSecretExpiresInSeconds must be 0 (the secret "
                        + "stops signing at once) to " + longest);
            }
            return Duration.ofSeconds(previousSecretExpiresInSeconds);
        }
    }

    private final WebhookStore store;
    private final TransactionTemplate transactions;
    private final EndpointUrls urls;
    private final BoundedResolver lookups;
    private final WebhookProperties.Endpoints limits;
    private final BoundedRemovals removals;
    private final Clock clock;

    WebhookController(WebhookStore store, TransactionTemplate transactions, EndpointUrls urls, BoundedResolver lookups,
                      WebhookProperties properties, Clock clock) {
        this.store = store;
        this.transactions = transactions;
        this.urls = urls;
        this.lookups = lookups;
        this.limits = properties.endpoints();
        this.removals = new BoundedRemovals(limits.removalsAtOnce());
        this.clock = clock;
    }

    /** 201 with the endpoint and its secret; 200 with the first answer for a retry under the same Idempotency-Key. */
    @PostMapping("/internal/customers/{customerId}/webhooks")
    Mono<ResponseEntity<Endpoint>> register(@PathVariable String customerId, @RequestBody Registration registration,
                                            @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey) {
        return blocking(() -> {
            String key = idempotencyKey == null ? UUID.randomUUID().toString() : idempotencyKey;
            List<String> types = EventTypes.check(registration.eventTypes());
            URI normalised = urls.normalised(registration.url());
            String url = normalised.toString();
            Optional<Registered> retried = idempotencyKey == null ? Optional.empty()
                    : store.retried(customerId, url, types, key, limits.secretRetryWindow(), clock.instant());
            if (retried.isPresent()) {
                return retried.get();
            }
            store.checkRoomFor(customerId, key, limits.maxPerCustomer());
            // Looked up before the transaction: resolving the host may take a while.
            urls.requirePublic(normalised, lookups.of(customerId));
            return transactions.execute(status -> store.register(customerId, url, types, key,
                    limits.maxPerCustomer(), limits.secretRetryWindow(), clock.instant()));
        }).map(registered -> ResponseEntity.status(registered.created() ? HttpStatus.CREATED : HttpStatus.OK)
                .body(registered.endpoint()));
    }

    @GetMapping("/internal/customers/{customerId}/webhooks")
    Mono<List<Endpoint>> endpoints(@PathVariable String customerId) {
        return blocking(() -> store.endpointsOf(customerId));
    }

    /** 200 with the endpoint, enabled (again); 404 if the customer has no such endpoint. */
    @PostMapping("/internal/customers/{customerId}/webhooks/{endpointId}/enable")
    Mono<ResponseEntity<Endpoint>> enable(@PathVariable String customerId, @PathVariable String endpointId) {
        return blocking(() -> transactions.execute(status -> store.enable(customerId, endpointId, clock.instant())))
                .map(enabled -> enabled.map(ResponseEntity::ok).orElseGet(() -> ResponseEntity.notFound().build()));
    }

    @DeleteMapping("/internal/customers/{customerId}/webhooks/{endpointId}")
    Mono<ResponseEntity<Void>> remove(@PathVariable String customerId, @PathVariable String endpointId) {
        // Taken and given back on the thread that waits: a removal cancelled by its caller keeps its place as long as
        // its statement does.
        return blocking(() -> removals.remove(customerId,
                        () -> transactions.execute(status -> store.remove(customerId, endpointId))))
                .map(removed -> removed ? ResponseEntity.noContent().<Void>build() : ResponseEntity.notFound().<Void>build());
    }

    /**
     * 201 with the endpoint's new signing secret; 200 with the first answer for a retry under the same
     * Idempotency-Key.
     */
    @PostMapping("/internal/customers/{customerId}/webhooks/{endpointId}/secret-rotations")
    Mono<ResponseEntity<SecretRotation>> rotateSecret(@PathVariable String customerId, @PathVariable String endpointId,
                                                      @RequestBody(required = false) Rotation rotation,
                                                      @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey) {
        String key = idempotencyKey == null ? UUID.randomUUID().toString() : idempotencyKey;
        return blocking(() -> {
            Duration previousValidFor = (rotation == null ? new Rotation(null) : rotation).previousValidFor();
            return transactions.execute(status -> store.rotateSecret(customerId, endpointId, previousValidFor, key,
                    limits.secretRetryWindow(), clock.instant()));
        }).map(rotated -> rotated.map(answer -> ResponseEntity.status(answer.created() ? HttpStatus.CREATED : HttpStatus.OK)
                .body(answer.rotation())).orElseGet(() -> ResponseEntity.notFound().build()));
    }

    /** Newest first; {@code before} is the id of the last delivery of the page before. */
    @GetMapping("/internal/customers/{customerId}/webhooks/{endpointId}/deliveries")
    Mono<ResponseEntity<List<Delivery>>> deliveries(@PathVariable String customerId, @PathVariable String endpointId,
                                                    @RequestParam(required = false) Long before,
                                                    @RequestParam(defaultValue = "20") int size) {
        int page = Math.max(1, Math.min(size, MAX_PAGE));
        return blocking(() -> store.deliveriesOf(customerId, endpointId, before, page))
                .map(found -> found.map(ResponseEntity::ok).orElseGet(() -> ResponseEntity.notFound().build()));
    }

    /** 202 with the new delivery, queued after its voucher's pending deliveries to the endpoint. */
    @PostMapping("/internal/customers/{customerId}/webhooks/{endpointId}/deliveries/{deliveryId}/resend")
    Mono<ResponseEntity<Delivery>> resend(@PathVariable String customerId, @PathVariable String endpointId,
                                          @PathVariable long deliveryId,
                                          @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey) {
        String key = idempotencyKey == null ? UUID.randomUUID().toString() : idempotencyKey;
        return blocking(() -> transactions.execute(status ->
                store.resend(customerId, endpointId, deliveryId, key, clock.instant())))
                .map(resent -> resent.map(delivery -> ResponseEntity.accepted().body(delivery))
                        .orElseGet(() -> ResponseEntity.notFound().build()));
    }

    @ExceptionHandler(BoundedResolver.CustomerBusy.class)
    ResponseEntity<ProblemDetail> customerBusy(BoundedResolver.CustomerBusy busy) {
        return Problems.askAgainSoon(HttpStatus.TOO_MANY_REQUESTS, "WEBHOOK_URL_LOOKUP_IN_PROGRESS", busy.getMessage());
    }

    @ExceptionHandler(BoundedRemovals.CustomerBusy.class)
    ResponseEntity<ProblemDetail> customerRemoving(BoundedRemovals.CustomerBusy busy) {
        return Problems.askAgainSoon(HttpStatus.TOO_MANY_REQUESTS, "WEBHOOK_REMOVAL_IN_PROGRESS", busy.getMessage());
    }

    @ExceptionHandler({BoundedResolver.Busy.class, BoundedRemovals.Busy.class})
    ResponseEntity<ProblemDetail> busy(RuntimeException busy) {
        return Problems.askAgainSoon(HttpStatus.SERVICE_UNAVAILABLE, "TEMPORARILY_UNAVAILABLE", busy.getMessage());
    }

    @ExceptionHandler(Refusal.class)
    ResponseEntity<ProblemDetail> refused(Refusal refusal) {
        return ResponseEntity.status(HttpStatus.UNPROCESSABLE_CONTENT)
                .body(Problems.problem(HttpStatus.UNPROCESSABLE_CONTENT, refusal.code(), refusal.getMessage()));
    }

    /** JDBC and name resolution block: off the event loop. */
    private static <T> Mono<T> blocking(Callable<T> work) {
        return Mono.fromCallable(work).subscribeOn(Schedulers.boundedElastic());
    }
}
