package io.qrvoucher.ingress.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.qrvoucher.ingress.reads.WebhookEndpoints;
import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The JSON shapes of the webhook API. */
final class WebhookDtos {

    private WebhookDtos() {
    }

    @Schema(description = "An endpoint to register: where your vouchers' events are POSTed, and which types")
    record Registration(
            @Schema(example = "https://shop.example.com/hooks/qrvoucher", description = "an https URL on a public address")
            String url,
            @Schema(example = "[\"REDEEMED\", \"REDEEM_FAILED\"]", description = "event types of voucher-events (not UNKNOWN)")
            List<String> eventTypes) {
    }

    @Schema(description = "A webhook endpoint")
    record Endpoint(
            String id,
            String url,
            List<String> eventTypes,
            Instant createdAt,
            @Schema(description = "when the endpoint was disabled, because its receiver answered 410 Gone: nothing is "
                    + "sent to it nor queued for it until you enable it again; absent while it is enabled")
            Instant disabledAt,
            @Schema(description = "why it was disabled: GONE (its receiver answered 410); absent while it is enabled")
            String disabledReason,
            @Schema(description = "the signing secret (whsec_…): only in the answer to the registration; keep it, it is "
                    + "not shown again") String secret) {

        static Endpoint of(WebhookEndpoints.Endpoint endpoint) {
            return new Endpoint(endpoint.id(), endpoint.url(), endpoint.eventTypes(), endpoint.createdAt(),
                    endpoint.disabledAt(), endpoint.disabledReason(), endpoint.secret());
        }

        /** Without the secret, which a log line (a codec's at DEBUG, say) would otherwise carry. */
        @Override
        public String toString() {
            return "Endpoint[id=" + id + ", url=" + url + ", eventTypes=" + eventTypes + ", createdAt=" + createdAt
                    + ", disabledAt=" + disabledAt + ", disabledReason=" + disabledReason
                    + ", secret=" + (secret == null ? null : "(hidden)") + "]";
        }
    }

    @Schema(description = "A rotation of an endpoint's signing secret; no body is the same as {}")
    record SecretRotationRequest(
            @Schema(example = "3600", description = "how long deliveries are still signed with the secret it replaces, "
                    + "beside the new one (a second v1 in QRVoucher-Signature): a whole number of seconds, 0 (at once, "
                    + "for a secret that leaked) to 86400; 86400 when absent. A shorter time given to an earlier rotation "
                    + "stays")
            Long previousSecretExpiresInSeconds) {

        private static final String FIELD = "previousSecretExpiresInSeconds";
        /** Two members of one name are malformed here, not "the last one wins". */
        private static final JsonMapper STRICT_JSON = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

        /**
         * The request in a body as sent (none is {}), read by hand, as strictly as the other bodies and more: a
         * member misspelt or given twice, a null, or 0.5 read as 0 would turn "stop the leaked secret now" into a
         * day's overlap or the other way round (a misspelt one is 422 INVALID_SECRET_ROTATION here).
         */
        static SecretRotationRequest of(String body) {
            if (body == null || body.isBlank()) {
                return new SecretRotationRequest(null);
            }
            Map<String, Object> members;
            try {
                members = STRICT_JSON.readValue(body, new TypeReference<Map<String, Object>>() { });
            } catch (JacksonException e) {
                throw ApiException.badRequest("MALFORMED_REQUEST", "The body is not a JSON object of one member, "
                        + FIELD + ": " + e.getOriginalMessage());
            }
            if (members == null) {
                throw ApiException.badRequest("MALFORMED_REQUEST", "The body is not a JSON object: null");
            }
            for (String member : members.keySet()) {
                if (!member.equals(FIELD)) {
                    throw invalid("Unknown member " + member + ": the body has only " + FIELD);
                }
            }
            if (!members.containsKey(FIELD)) {
                return new SecretRotationRequest(null);
            }
            if (!(members.get(FIELD) instanceof Integer || members.get(FIELD) instanceof Long)) {
                throw invalid(FIELD + " must be a whole number of seconds (or left out)");
            }
            return new SecretRotationRequest(((Number) members.get(FIELD)).longValue());
        }

        private static ApiException invalid(String detail) {
            return ApiException.unprocessable("INVALID_SECRET_ROTATION", detail);
        }
    }

    @Schema(description = "An endpoint's new signing secret")
    record SecretRotation(
            String endpointId,
            @Schema(description = "the new signing secret (whsec_…): only in the answer to the rotation; keep it, it is "
                    + "not shown again") String secret,
            Instant rotatedAt,
            @Schema(description = "until when deliveries are also signed with the secret it replaced")
            Instant previousSecretExpiresAt) {

        static SecretRotation of(WebhookEndpoints.SecretRotation rotation) {
            return new SecretRotation(rotation.endpointId(), rotation.secret(), rotation.rotatedAt(),
                    rotation.previousSecretExpiresAt());
        }

        /** Without the secret, which a log line (a codec's at DEBUG, say) would otherwise carry. */
        @Override
        public String toString() {
            return "SecretRotation[endpointId=" + endpointId + ", secret=" + (secret == null ? null : "(hidden)")
                    + ", rotatedAt=" + rotatedAt + ", previousSecretExpiresAt=" + previousSecretExpiresAt + "]";
        }
    }

    @Schema(description = "One delivery of an event to an endpoint, with every attempt")
    record Delivery(
            String id,
            @Schema(description = "the event's id, also in the QRVoucher-Event-Id header") String eventId,
            String eventType,
            String voucherId,
            @Schema(description = "PENDING, DELIVERED or GIVEN_UP") String status,
            Instant createdAt,
            @Schema(description = "while PENDING: its next attempt (absent while it waits behind an earlier delivery of "
                    + "its voucher; it also waits for its endpoint's turn and rest)")
            Instant nextAttemptAt,
            Instant finishedAt,
            @Schema(description = "the delivery this one resends") String resendOf,
            List<Attempt> attempts) {

        static Delivery of(WebhookEndpoints.Delivery delivery) {
            return new Delivery(delivery.id(), delivery.eventId(), delivery.eventType(), delivery.voucherId(),
                    delivery.status(), delivery.createdAt(), delivery.nextAttemptAt(), delivery.finishedAt(),
                    delivery.resendOf(), delivery.attempts().stream().map(attempt -> new Attempt(attempt.number(),
                            attempt.at(), attempt.durationMs(), attempt.statusCode(), attempt.error())).toList());
        }
    }

    @Schema(description = "An attempt: the endpoint's HTTP status, or why there was none")
    record Attempt(int number, Instant at, long durationMs, Integer statusCode, String error) {
    }
}
