package io.qrvoucher.webhook;

import static io.qrvoucher.schemas.Topics.VOUCHER_EVENTS;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Configuration of the webhook delivery service, under {@code webhook.*}. Kafka and the database are set with
 * the usual {@code spring.kafka.*} and {@code spring.datasource.*}.
 *
 * @param topics              topic names
 * @param listenerConcurrency consumer threads per instance on {@code voucher-events}
 * @param endpoints           what customers may register
 * @param secretEncryption    the keys the endpoints' signing secrets are encrypted with in the database
 * @param delivery            how events are sent and retried
 */
@ConfigurationProperties("webhook")
public record WebhookProperties(
        @DefaultValue Topics topics,
        @DefaultValue("1") int listenerConcurrency,
        @DefaultValue Endpoints endpoints,
        @DefaultValue SecretEncryption secretEncryption,
        @DefaultValue Delivery delivery) {

    /** @param voucherEvents the public topic whose events are delivered */
    public record Topics(@DefaultValue(VOUCHER_EVENTS) String voucherEvents) {
    }

    /**
     * @param maxPerCustomer how many endpoints one customer may have
     * @param allowLocalHttp also take {@code http} URLs and loopback addresses (localhost): for tests and the
     *                       demo only. Private and link-local addresses stay refused
     * @param secretRetryWindow how long a registration retried with its Idempotency-Key is answered with the
     *                       signing secret again (a client whose answer was lost); after that the retry gets the
     *                       endpoint without it, so that a leaked key does not reveal a secret later
     * @param lookupTimeout  how long the host of a URL being registered may take to resolve; then the registration is
     *                       refused. Keep it well under the ingress's {@code ingress.webhooks.timeout} (5 s), after
     *                       which the ingress asks another instance
     * @param lookupsAtOnce  how many hosts of URLs being registered an instance resolves at once; a registration
     *                       beyond that is answered 503 at once (a lookup past its time limit keeps its thread until
     *                       the system's resolver gives up). One customer's lookups go one at a time on an instance
     * @param removalsAtOnce how many removals of endpoints an instance lets wait at once (each for an attempt under way
     *                       to its endpoint, holding a database connection); one beyond is answered 503 at once. Keep
     *                       it well under the pool ({@code spring.datasource.hikari.maximum-pool-size}) less the
     *                       workers and the listener. One customer's removals go one at a time on an instance
     * @param ports          the ports an endpoint's URL may name (without one, an https URL goes to 443); any with
     *                       {@code allowLocalHttp}. Endpoints registered before a port was taken off keep it
     */
    public record Endpoints(
            @DefaultValue("10") int maxPerCustomer,
            @DefaultValue("false") boolean allowLocalHttp,
            @DefaultValue("1h") Duration secretRetryWindow,
            @DefaultValue("2s") Duration lookupTimeout,
            @DefaultValue("4") int lookupsAtOnce,
            @DefaultValue("2") int removalsAtOnce,
            @DefaultValue({"443", "8443"}) java.util.Set<Integer> ports) {

        public Endpoints {
            if (lookupsAtOnce < 1 || removalsAtOnce < 1) {
                throw new IllegalArgumentException("webhook.endpoints.lookups-at-once and removals-at-once must be at "
                        + "least 1: with none, every registration or removal is refused");
            }
        }
    }

    /**
     * @param keyId the key new secrets are encrypted with
     * @param keys  base64 keys (at least 256 bits) by id; keep a key while endpoints made under it exist
     */
    public record SecretEncryption(@DefaultValue("k1") String keyId, Map<String, String> keys) {

        public SecretEncryption {
            keys = keys == null ? Map.of() : Map.copyOf(keys);
        }
    }

    /**
     * @param workers         deliveries sent at once by this instance (each to a different endpoint: one
     *                        endpoint's deliveries go one at a time, each voucher's in order)
     * @param pollInterval    how often an idle worker looks for due deliveries
     * @param connectTimeout  how long a connection to an endpoint may take
     * @param responseTimeout how long an endpoint may take to answer
     * @param initialBackoff  the pause after a delivery's first failure; it doubles with each failure
     * @param maxBackoff      the longest pause between two attempts
     * @param giveUpAfter     a delivery is retried until its event is this old; an attempt failing after that
     *                        gives it up (the endpoint's next delivery goes on)
     * @param retention       how long a delivered or given-up delivery is kept (listed, resendable) before it is
     *                        deleted with its attempts; an event's resends keep its deliveries until they are as old
     * @param retentionSweepInterval how often the deliveries past the retention are looked for
     * @param headRepairInterval how often deliveries left waiting behind one no longer pending are woken and the
     *                        endpoints' head rows (when each endpoint's next delivery is due) are checked against the
     *                        deliveries and mended: the longest an endpoint whose row went missing or late waits
     */
    public record Delivery(
            @DefaultValue("4") int workers,
            @DefaultValue("500ms") Duration pollInterval,
            @DefaultValue("5s") Duration connectTimeout,
            @DefaultValue("10s") Duration responseTimeout,
            @DefaultValue("10s") Duration initialBackoff,
            @DefaultValue("1h") Duration maxBackoff,
            @DefaultValue("24h") Duration giveUpAfter,
            @DefaultValue("30d") Duration retention,
            @DefaultValue("1h") Duration retentionSweepInterval,
            @DefaultValue("1m") Duration headRepairInterval) {

        public Delivery {
            // A retention of nothing, or less, would delete every finished delivery at once.
            if (retention.isNegative() || retention.isZero()) {
                throw new IllegalArgumentException("webhook.delivery.retention must be positive, not " + retention);
            }
            if (retentionSweepInterval.isNegative() || retentionSweepInterval.isZero()) {
                throw new IllegalArgumentException("webhook.delivery.retention-sweep-interval must be positive, not "
                        + retentionSweepInterval);
            }
            if (headRepairInterval.isNegative() || headRepairInterval.isZero()) {
                throw new IllegalArgumentException("webhook.delivery.head-repair-interval must be positive, not "
                        + headRepairInterval);
            }
        }
    }
}
