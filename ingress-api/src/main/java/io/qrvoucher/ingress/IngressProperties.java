package io.qrvoucher.ingress;

import static io.qrvoucher.schemas.Topics.CUSTOMER_ATTEMPTS;
import static io.qrvoucher.schemas.Topics.CUSTOMER_VOUCHERS;
import static io.qrvoucher.schemas.Topics.INGRESS_IDEMPOTENCY;
import static io.qrvoucher.schemas.Topics.SETTINGS_CHANGES;
import static io.qrvoucher.schemas.Topics.VOUCHER_REQUESTS;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the ingress, under {@code ingress.*}.
 *
 * @param bootstrapServers the Kafka cluster, when it is not {@code spring.kafka.bootstrap-servers}; the cluster's
 *                         security settings are {@code spring.kafka.*} ({@link io.qrvoucher.support.KafkaConnection})
 * @param codeSecret       base64 key of the HMAC that makes bearer codes unforgeable (QRV1 codes); the same
 *                         on every instance, and kept secret. To rotate, add {@code codeKeys} and keep this
 *                         one while unused vouchers may have codes made with it
 * @param codeKeys         keys of QRV2 codes, which carry their key's id
 * @param topics           topic names
 * @param voucherStreams   where the vouchers are read: the voucher-streams instances that own them
 * @param ledger           where accounts are read: the ledger adapters
 * @param limits           request limits
 * @param security         token validation and the demo token issuer
 * @param requestSigning   the key the ingress seals its requests with, which voucher-streams checks
 * @param webhooks         where customers' webhook endpoints are kept: the webhook delivery service
 */
@ConfigurationProperties("ingress")
public record IngressProperties(
        String bootstrapServers,
        String codeSecret,
        @DefaultValue CodeKeys codeKeys,
        @DefaultValue Topics topics,
        @DefaultValue VoucherStreams voucherStreams,
        @DefaultValue Ledger ledger,
        @DefaultValue Limits limits,
        @DefaultValue Security security,
        @DefaultValue RequestSigning requestSigning,
        @DefaultValue Webhooks webhooks) {

    /**
     * @param urls           webhook delivery service instances, asked in turn until one answers
     * @param timeout        how long one request may take
     * @param removalTimeout how long an endpoint's removal may take: it waits for an attempt under way to the endpoint,
     *                       which may take the delivery's connect and response timeouts (5 s and 10 s by default)
     */
    public record Webhooks(
            @DefaultValue("http://localhost:8085") java.util.List<java.net.URI> urls,
            @DefaultValue("5s") Duration timeout,
            @DefaultValue("20s") Duration removalTimeout) {
    }

    /**
     * @param requests         what the ingress publishes; a voucher's reads go to the owner of its partition here
     * @param customerVouchers the per-customer index of voucher-streams; a customer's lists go to the owner
     *                         of the customer's partition here
     * @param settingsChanges  where changes of settings are published, keyed by customer; a customer's
     *                         settings are read from the owner of the customer's partition here
     * @param idempotency      where claims of Idempotency-Keys and sign-ins are published; the first claim
     *                         of a key is read from the owner of the key's partition here
     * @param customerAttempts where the attempts the abuse limits count are published, keyed by customer; a
     *                         customer's count is read from the owner of the customer's partition here
     */
    public record Topics(
            @DefaultValue(VOUCHER_REQUESTS) String requests,
            @DefaultValue(CUSTOMER_VOUCHERS) String customerVouchers,
            @DefaultValue(SETTINGS_CHANGES) String settingsChanges,
            @DefaultValue(INGRESS_IDEMPOTENCY) String idempotency,
            @DefaultValue(CUSTOMER_ATTEMPTS) String customerAttempts) {
    }

    /**
     * @param urls           any voucher-streams instances (one is enough): they tell which instance holds
     *                       which partitions, and the ingress then asks the holder of each key directly
     * @param routingRefresh how often the routing is asked for again; it is also asked for at once when an
     *                       instance answers that it no longer holds a partition
     * @param timeout        how long one read may take, beyond the wait a long poll asks for
     * @param recordingWindow how long after its id was made (to the day) a voucher its owner does not hold is taken
     *                       for one on its way, waited for and answered 503 "not recorded yet", rather than gone
     *                       (404): longer than voucher-streams may be down with generations waiting for it, and than
     *                       {@code voucher.claim-window} (a keyed retry sends the first claim's id again); shorter
     *                       than {@code voucher.final-retention}, or a voucher forgotten reads 503 until it passes
     */
    public record VoucherStreams(
            @DefaultValue("http://localhost:8082") java.util.List<java.net.URI> urls,
            @DefaultValue("10s") Duration routingRefresh,
            @DefaultValue("5s") Duration timeout,
            @DefaultValue("7d") Duration recordingWindow) {
    }

    /**
     * @param urls    ledger adapter instances, asked in turn until one answers
     * @param timeout how long one read may take
     */
    public record Ledger(
            @DefaultValue("http://localhost:8081") java.util.List<java.net.URI> urls,
            @DefaultValue("5s") Duration timeout) {
    }

    /**
     * @param maxWait            the longest {@code Prefer: wait=N} honoured
     * @param publishTimeout     how long a request may wait for the broker's acknowledgement
     * @param maxImageSize       largest QR picture accepted
     * @param wrongCodesPerWindow redemptions that cannot succeed a customer may attempt per window: wrong
     *                           codes, expired counter-mode codes without an Idempotency-Key, new attempts on a
     *                           used code (unreadable pictures count towards {@code picturesPerWindow} only)
     * @param wrongCodeWindow    the window of that limit
     * @param picturesPerWindow  QR pictures a customer may upload per window, readable or not
     * @param pictureWindow      the window of that limit
     * @param pictureDecoders    threads that decode pictures, apart from the threads that serve requests
     *                           and run timers; 0 for one per processor, at most 4
     * @param pictureQueue       pictures that may wait for a decoder; beyond them an upload is refused
     *                           at once with 503
     * @param maxInFlightWrites  generations this instance handles at once, and a quarter more with the
     *                           redemptions and cancellations that finish vouchers already generated; beyond
     *                           them a request is refused at once with 503 OVERLOADED
     * @param maxInFlightWritesPerCustomer how many of those one customer may hold at once; beyond them their
     *                           request is refused at once with 429 TOO_MANY_REQUESTS_IN_FLIGHT
     * @param maxPageSize        largest page of a voucher list
     * @param requestIdleTimeout how long a request's body may stop arriving, once it is read, before the request is
     *                           ended (408): a write holds its admission place while its body is read, and a body
     *                           that never came held it for good
     * @param requestTimeout     how long a request's body may take to arrive in all: a picture of 2 MB at 300 kbit/s
     *                           takes about a minute, a body trickled a byte at a time would take for ever
     */
    public record Limits(
            @DefaultValue("30s") Duration maxWait,
            @DefaultValue("5s") Duration publishTimeout,
            @DefaultValue("2MB") DataSize maxImageSize,
            @DefaultValue("5") int wrongCodesPerWindow,
            @DefaultValue("10m") Duration wrongCodeWindow,
            @DefaultValue("30") int picturesPerWindow,
            @DefaultValue("1m") Duration pictureWindow,
            @DefaultValue("0") int pictureDecoders,
            @DefaultValue("16") int pictureQueue,
            @DefaultValue("64") int maxInFlightWrites,
            @DefaultValue("32") int maxInFlightWritesPerCustomer,
            @DefaultValue("100") int maxPageSize,
            @DefaultValue("15s") Duration requestIdleTimeout,
            @DefaultValue("90s") Duration requestTimeout) {

        public Limits {
            if (notPositive(requestIdleTimeout) || notPositive(requestTimeout)) {
                throw new IllegalArgumentException("ingress.limits.request-idle-timeout and request-timeout must be "
                        + "positive, not " + requestIdleTimeout + " and " + requestTimeout);
            }
        }

        private static boolean notPositive(Duration duration) {
            return duration.isZero() || duration.isNegative();
        }
    }

    /**
     * @param issuer          the {@code iss} every token must carry
     * @param audience        a value every token's {@code aud} must contain: a token the issuer made for
     *                        another of the bank's services is not accepted here
     * @param demoTokenSecret base64 HMAC key of demo tokens; set only in the embedded demo run, where
     *                        {@code POST /dev/token} issues them. A real deployment sets {@code jwkSetUri}
     *                        instead, never both
     * @param jwkSetUri       the bank's issuer's key set, for a real deployment
     * @param stepUpMaxAge    how recent a sign-in ({@code auth_time}) counts as a step-up confirmation
     */
    public record Security(
            @DefaultValue("https://auth.qrvoucher.local") String issuer,
            @DefaultValue("qrvoucher-api") String audience,
            String demoTokenSecret,
            String jwkSetUri,
            @DefaultValue("5m") Duration stepUpMaxAge) {
    }

    /**
     * @param keyId the key new requests are sealed with
     * @param keys  base64 keys (at least 256 bits) by id; the same as voucher-streams' {@code voucher.request-signing.keys}
     */
    public record RequestSigning(@DefaultValue("k1") String keyId, Map<String, String> keys) {

        public RequestSigning {
            keys = keys == null ? Map.of() : Map.copyOf(keys);
        }
    }

    /**
     * @param keyId the key new codes are made with; empty to make QRV1 codes with {@code ingress.code-secret}
     * @param keys  base64 keys (at least 256 bits) by id (letters and digits): a code made with any of them
     *              stays genuine while the key is here
     */
    public record CodeKeys(String keyId, Map<String, String> keys) {

        public CodeKeys {
            keys = keys == null ? Map.of() : Map.copyOf(keys);
        }
    }
}
