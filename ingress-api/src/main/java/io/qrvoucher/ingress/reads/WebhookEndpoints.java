package io.qrvoucher.ingress.reads;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.util.UriBuilder;

import io.qrvoucher.ingress.codes.Uuids;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A customer's webhook endpoints and their deliveries, at their owner: the webhook delivery service, whose
 * database holds them (its internal API, {@code /internal/customers/{id}/webhooks…}). Reads and changes go
 * there directly: any instance answers, the next is asked when one cannot (unreachable, 5xx). A change is
 * sent with an Idempotency-Key, so that asking the next instance never registers or resends twice. What the
 * owner refuses (4xx) is answered as it says, as {@link Refused}; so is a call every instance answered busy (503
 * with a Retry-After, nothing done), which would otherwise read as a write that may have been done.
 */
public class WebhookEndpoints {

    /** What the webhook service answers for a call it did nothing with, its places full: 503 with a Retry-After. */
    private static final String BUSY = "TEMPORARILY_UNAVAILABLE";

    /** An instance whose places were full: it did nothing with the call, and another may have room. */
    private static final class Busy extends RuntimeException {
        private final long retryAfterSeconds;

        Busy(String detail, long retryAfterSeconds) {
            super(detail, null, false, false);
            this.retryAfterSeconds = retryAfterSeconds;
        }

        /** As the client is answered when every instance was busy: not done, send it again after the Retry-After. */
        Refused refusal() {
            return new Refused(HttpStatus.SERVICE_UNAVAILABLE, BUSY, getMessage() + "; nothing was done",
                    retryAfterSeconds);
        }
    }

    /** The owner refused the request: its status, the problem's code and detail, and when to try again if it said. */
    public static class Refused extends RuntimeException {
        private final HttpStatusCode status;
        private final String code;
        private final Long retryAfterSeconds;

        Refused(HttpStatusCode status, String code, String detail, Long retryAfterSeconds) {
            super(detail);
            this.status = status;
            this.code = code;
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public Optional<Long> retryAfterSeconds() {
            return Optional.ofNullable(retryAfterSeconds);
        }

        public HttpStatusCode status() {
            return status;
        }

        public String code() {
            return code;
        }
    }

    /**
     * An endpoint as the owner answers it; {@code secret} only when it was just registered, {@code disabledAt} and
     * {@code disabledReason} only while it is disabled.
     */
    public record Endpoint(String id, String url, List<String> eventTypes, java.time.Instant createdAt,
                           java.time.Instant disabledAt, String disabledReason, String secret) {

        /** Without the secret, which a log line (a codec's at DEBUG, say) would otherwise carry. */
        @Override
        public String toString() {
            return "Endpoint[id=" + id + ", url=" + url + ", eventTypes=" + eventTypes + ", createdAt=" + createdAt
                    + ", disabledAt=" + disabledAt + ", disabledReason=" + disabledReason
                    + ", secret=" + (secret == null ? null : "(hidden)") + "]";
        }
    }

    /** A rotation of an endpoint's signing secret, as the owner answers it; {@code secret} only when just made. */
    public record SecretRotation(String endpointId, String secret, java.time.Instant rotatedAt,
                                 java.time.Instant previousSecretExpiresAt) {

        /** Without the secret, which a log line (a codec's at DEBUG, say) would otherwise carry. */
        @Override
        public String toString() {
            return "SecretRotation[endpointId=" + endpointId + ", secret=" + (secret == null ? null : "(hidden)")
                    + ", rotatedAt=" + rotatedAt + ", previousSecretExpiresAt=" + previousSecretExpiresAt + "]";
        }
    }

    /** A delivery with its attempts, as the owner answers it. */
    public record Delivery(String id, String eventId, String eventType, String voucherId, String status,
                           java.time.Instant createdAt, java.time.Instant nextAttemptAt, java.time.Instant finishedAt,
                           String resendOf, List<Attempt> attempts) {
    }

    public record Attempt(int number, java.time.Instant at, long durationMs, Integer statusCode, String error) {
    }

    /** An answer and its status: a registration says 201 (made) or 200 (a retry's first answer). */
    public record Answer<T>(HttpStatusCode status, T body) {
    }

    private static final ParameterizedTypeReference<Map<String, Object>> PROBLEM = new ParameterizedTypeReference<>() { };

    private final WebClient http;
    private final List<URI> owners;
    private final Duration timeout;
    private final Duration removalTimeout;

    /**
     * @param removalTimeout a removal's, longer than others': it waits for an attempt under way to the endpoint, and
     *                       one given up too soon would be asked of the next instance, which finds it gone (404)
     */
    public WebhookEndpoints(WebClient http, List<URI> owners, Duration timeout, Duration removalTimeout) {
        this.http = http;
        this.owners = List.copyOf(owners);
        this.timeout = timeout;
        this.removalTimeout = removalTimeout;
    }

    public Mono<Answer<Endpoint>> register(String customerId, String url, List<String> eventTypes, String idempotencyKey) {
        return ask(HttpMethod.POST, path -> path.path("/internal/customers/{c}/webhooks").build(customerId),
                Map.of("url", url == null ? "" : url, "eventTypes", eventTypes == null ? List.of() : eventTypes),
                idempotencyKey, new ParameterizedTypeReference<Endpoint>() { });
    }

    public Mono<List<Endpoint>> endpointsOf(String customerId) {
        return ask(HttpMethod.GET, path -> path.path("/internal/customers/{c}/webhooks").build(customerId), null, null,
                new ParameterizedTypeReference<List<Endpoint>>() { }).map(Answer::body);
    }

    public Mono<Endpoint> enable(String customerId, String endpointId) {
        return known(endpointId).then(ask(HttpMethod.POST,
                path -> path.path("/internal/customers/{c}/webhooks/{e}/enable").build(customerId, endpointId),
                null, null, new ParameterizedTypeReference<Endpoint>() { })).map(Answer::body);
    }

    public Mono<Void> remove(String customerId, String endpointId) {
        return known(endpointId).then(ask(HttpMethod.DELETE,
                path -> path.path("/internal/customers/{c}/webhooks/{e}").build(customerId, endpointId), null, null,
                new ParameterizedTypeReference<Void>() { }, removalTimeout)).then();
    }

    /** {@code previousSecretExpiresInSeconds} null for the owner's default. */
    public Mono<Answer<SecretRotation>> rotateSecret(String customerId, String endpointId,
                                                     Long previousSecretExpiresInSeconds, String idempotencyKey) {
        Map<String, Object> body = new HashMap<>();
        body.put("previousSecretExpiresInSeconds", previousSecretExpiresInSeconds);
        return known(endpointId).then(ask(HttpMethod.POST,
                path -> path.path("/internal/customers/{c}/webhooks/{e}/secret-rotations").build(customerId, endpointId),
                body, idempotencyKey, new ParameterizedTypeReference<SecretRotation>() { }));
    }

    public Mono<List<Delivery>> deliveriesOf(String customerId, String endpointId, Long before, int size) {
        return known(endpointId).then(ask(HttpMethod.GET,
                path -> path.path("/internal/customers/{c}/webhooks/{e}/deliveries")
                        .queryParamIfPresent("before", Optional.ofNullable(before)).queryParam("size", size)
                        .build(customerId, endpointId), null, null,
                new ParameterizedTypeReference<List<Delivery>>() { })).map(Answer::body);
    }

    public Mono<Delivery> resend(String customerId, String endpointId, String deliveryId, String idempotencyKey) {
        return known(endpointId).then(ask(HttpMethod.POST,
                path -> path.path("/internal/customers/{c}/webhooks/{e}/deliveries/{d}/resend")
                        .build(customerId, endpointId, deliveryId), null, idempotencyKey,
                new ParameterizedTypeReference<Delivery>() { })).map(Answer::body);
    }

    /**
     * Refuses an endpoint id the webhook service cannot have made, as the service would: not asked, since an id a
     * client made up may not fit its request line.
     */
    private static Mono<Void> known(String endpointId) {
        return Uuids.isCanonical(endpointId) ? Mono.empty()
                : Mono.error(new Refused(HttpStatus.NOT_FOUND, "NOT_FOUND", "No such webhook endpoint", null));
    }

    private <T> Mono<Answer<T>> ask(HttpMethod method, Function<UriBuilder, URI> path, Object body, String idempotencyKey,
                                    ParameterizedTypeReference<T> type) {
        return ask(method, path, body, idempotencyKey, type, timeout);
    }

    private <T> Mono<Answer<T>> ask(HttpMethod method, Function<UriBuilder, URI> path, Object body, String idempotencyKey,
                                    ParameterizedTypeReference<T> type, Duration timeout) {
        return Mono.defer(() -> askEach(method, path, body, idempotencyKey, type, timeout));
    }

    /** Each instance in turn, until one answers; what every one of them said if none did. */
    private <T> Mono<Answer<T>> askEach(HttpMethod method, Function<UriBuilder, URI> path, Object body,
                                        String idempotencyKey, ParameterizedTypeReference<T> type, Duration timeout) {
        List<Busy> busy = new CopyOnWriteArrayList<>();
        return Flux.fromIterable(owners)
                .concatMap(owner -> {
                    WebClient.RequestBodySpec request = http.method(method).uri(owner.toString(), path);
                    if (idempotencyKey != null) {
                        request.header("Idempotency-Key", idempotencyKey);
                    }
                    WebClient.RequestHeadersSpec<?> sent = body == null ? request : request.bodyValue(body);
                    return sent.exchangeToMono(response -> answer(response, type))
                            .timeout(timeout)
                            .doOnError(Busy.class, busy::add)
                            // Busy, unreachable, too slow or failing: the next instance. A refusal is not retried.
                            .onErrorResume(e -> !(e instanceof Refused), e -> Mono.empty());
                })
                .next()
                // Every instance said it did nothing: nothing was done, and the client may send it again in a while.
                .switchIfEmpty(Mono.defer(() -> !owners.isEmpty() && busy.size() == owners.size()
                        ? Mono.error(busy.get(busy.size() - 1).refusal()) : Mono.empty()))
                // A write may have been made by an instance that answered too late.
                .switchIfEmpty(Mono.error(() -> method == HttpMethod.GET
                        ? new VoucherReads.Unavailable("No webhook delivery service answered")
                        : new VoucherReads.Unconfirmed("No webhook delivery service confirmed a " + method,
                                "Look at your webhook endpoints (for a resend, the endpoint's deliveries) before "
                                        + "sending it again; one sent with an Idempotency-Key may be sent again with the "
                                        + "same key: it is acted on once.")));
    }

    /** A Retry-After in seconds, as the owner sends it; null without one. */
    private static Long secondsOf(String retryAfter) {
        return retryAfter != null && retryAfter.matches("\\d{1,6}") ? Long.valueOf(retryAfter) : null;
    }

    private static <T> Mono<Answer<T>> answer(ClientResponse response, ParameterizedTypeReference<T> type) {
        HttpStatusCode status = response.statusCode();
        if (status.is2xxSuccessful()) {
            return response.bodyToMono(type).map(body -> new Answer<>(status, body))
                    .defaultIfEmpty(new Answer<>(status, null));
        }
        if (status.value() == HttpStatus.SERVICE_UNAVAILABLE.value()) {
            Long retryAfter = secondsOf(response.headers().asHttpHeaders().getFirst(HttpHeaders.RETRY_AFTER));
            return response.bodyToMono(PROBLEM).defaultIfEmpty(Map.of()).flatMap(problem -> Mono.error(
                    BUSY.equals(problem.get("code")) && retryAfter != null
                            ? new Busy(String.valueOf(problem.getOrDefault("detail", "Busy")), retryAfter)
                            : new IllegalStateException("Webhook service answered " + status)));
        }
        if (status.is4xxClientError()) {
            Long retryAfter = secondsOf(response.headers().asHttpHeaders().getFirst(HttpHeaders.RETRY_AFTER));
            return response.bodyToMono(PROBLEM).defaultIfEmpty(Map.of())
                    .flatMap(problem -> Mono.error(new Refused(status,
                            String.valueOf(problem.getOrDefault("code", status.value() == 404 ? "NOT_FOUND" : "REQUEST_REFUSED")),
                            String.valueOf(problem.getOrDefault("detail", "Refused")), retryAfter)));
        }
        return response.releaseBody().then(Mono.error(new IllegalStateException("Webhook service answered " + status)));
    }
}
