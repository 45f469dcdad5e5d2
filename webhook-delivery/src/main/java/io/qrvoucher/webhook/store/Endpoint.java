package io.qrvoucher.webhook.store;

import java.time.Instant;
import java.util.List;

/**
 * A customer's webhook endpoint, as the internal API answers it.
 *
 * @param secret the signing secret: only in the answer to its registration (and to a retry of it within
 *               {@code webhook.endpoints.secret-retry-window}); null everywhere else
 */
public record Endpoint(String id, String url, List<String> eventTypes, Instant createdAt, String secret) {

    Endpoint withSecret(String secret) {
        return new Endpoint(id, url, eventTypes, createdAt, secret);
    }

    /** Without the secret, which a log line (an encoder's at DEBUG, say) would otherwise carry. */
    @Override
    public String toString() {
        return "Endpoint[id=" + id + ", url=" + url + ", eventTypes=" + eventTypes + ", createdAt=" + createdAt
                + ", secret=" + (secret == null ? null : "(hidden)") + "]";
    }
}
