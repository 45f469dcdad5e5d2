package io.qrvoucher.webhook.store;

import java.time.Instant;
import java.util.List;

/**
 * A customer's webhook endpoint, as the internal API answers it.
 *
 * @param disabledAt     when it was disabled (its receiver answered 410 Gone); null while it is enabled
 * @param disabledReason why: {@value #GONE}; null while it is enabled
 * @param secret         the signing secret: only in the answer to its registration (and to a retry of it within
 *                       {@code webhook.endpoints.secret-retry-window}); null everywhere else
 */
public record Endpoint(String id, String url, List<String> eventTypes, Instant createdAt, Instant disabledAt,
                       String disabledReason, String secret) {

    /** The receiver answered 410 Gone: it says it takes no more deliveries. */
    public static final String GONE = "GONE";

    Endpoint withSecret(String secret) {
        return new Endpoint(id, url, eventTypes, createdAt, disabledAt, disabledReason, secret);
    }

    /** Without the secret, which a log line (an encoder's at DEBUG, say) would otherwise carry. */
    @Override
    public String toString() {
        return "Endpoint[id=" + id + ", url=" + url + ", eventTypes=" + eventTypes + ", createdAt=" + createdAt
                + ", disabledAt=" + disabledAt + ", disabledReason=" + disabledReason
                + ", secret=" + (secret == null ? null : "(hidden)") + "]";
    }
}
