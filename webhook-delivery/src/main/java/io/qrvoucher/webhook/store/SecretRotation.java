package io.qrvoucher.webhook.store;

import java.time.Instant;

/**
 * A rotation of an endpoint's signing secret, as the internal API answers it.
 *
 * @param secret                  the new secret: in the answer to the rotation (and to a retry of it within
 *                                {@code webhook.endpoints.secret-retry-window}, while it is still the current one); null
 *                                everywhere else
 * @param previousSecretExpiresAt until when deliveries are also signed with the secrets it replaced (the rotation's
 *                                time, when they stopped at once)
 */
public record SecretRotation(String endpointId, String secret, Instant rotatedAt, Instant previousSecretExpiresAt) {

    /** Without the secret, which a log line (an encoder's at DEBUG, say) would otherwise carry. */
    @Override
    public String toString() {
        return "SecretRotation[endpointId=" + endpointId + ", secret=" + (secret == null ? null : "(hidden)")
                + ", rotatedAt=" + rotatedAt + ", previousSecretExpiresAt=" + previousSecretExpiresAt + "]";
    }
}
