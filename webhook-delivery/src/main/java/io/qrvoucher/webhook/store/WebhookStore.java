package io.qrvoucher.webhook.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;

import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.webhook.core.Refusal;
import io.qrvoucher.webhook.core.SecretBox;

/**
 * The service's tables: endpoints, deliveries, attempts. Every method runs in the caller's transaction; the
 * callers open one per registration, per poll of events, per attempt.
 */
public class WebhookStore {

    private static final Logger log = LoggerFactory.getLogger(WebhookStore.class);

    /** How many attempts one customer's endpoints make at once, over all instances. */
    static final int ATTEMPTS_PER_CUSTOMER = 2;
    /** How many resends an endpoint may have waiting to be sent. */
    static final int MAX_PENDING_RESENDS = 100;
    /** Resends of one event to one endpoint, kept: each keeps its event's rows past the retention. */
    static final int MAX_RESENDS_OF_AN_EVENT = 100;
    /** How many times an endpoint's secret may be rotated in {@link #ROTATION_LIMIT_WINDOW}. */
    static final int MAX_ROTATIONS = 10;
    /** The most of an attempt's error kept, in UTF-16 units. */
    static final int MAX_ERROR_LENGTH = 1_000;
    /**
     * The most pending deliveries one give-up looks at: each taken moves the endpoint's head row, in one transaction that
     * holds the row (recordings for the endpoint wait for it), and each move steps over those taken before it.
     */
    static final int MAX_GIVEN_UP_BEHIND = 100;
    /** The time over which an endpoint's rotations count toward {@value #MAX_ROTATIONS}. */
    static final Duration ROTATION_LIMIT_WINDOW = Duration.ofHours(24);
    /**
     * How long a secret is kept after it was replaced (and stopped signing, at the latest then): the rotation that made
     * it, and so its Idempotency-Key, is remembered that long.
     */
    static final Duration REPLACED_SECRET_KEPT = Duration.ofHours(24);
    /** How far the instances' clocks may be apart, for the turns of endpoints ({@link #nextDueEndpoint}). */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);
    /** The longest time a replaced secret may still sign deliveries. */
    public static final Duration MAX_PREVIOUS_SECRET_VALIDITY = Duration.ofHours(24);

    /**
     * A delivery due now at the head of its voucher's queue to its endpoint, with what sending it needs, the trace its
     * attempts continue ({@code traceContext}, null if none was kept), and the endpoint's attempts that failed since
     * the last one delivered ({@code endpointFailuresInARow}), by which it rests after this one if it fails too.
     */
    public record Due(long deliveryId, String endpointId, String url, List<String> secrets, String eventId,
                      byte[] payload, Instant createdAt, int attempts, String traceContext, int endpointFailuresInARow) {

        /** Without the signing secrets, which a log line would otherwise carry. */
        @Override
        public String toString() {
            return "Due[deliveryId=" + deliveryId + ", endpointId=" + endpointId + ", url=" + url + ", secrets="
                    + secrets.size() + ", eventId=" + eventId + ", createdAt=" + createdAt + ", attempts=" + attempts
                    + ", endpointFailuresInARow=" + endpointFailuresInARow + "]";
        }
    }

    /** The answer to a registration: the endpoint, and whether this request made it (false for a retry). */
    public record Registered(Endpoint endpoint, boolean created) {
    }

    /** The answer to a rotation of a secret: the rotation, and whether this request made it (false for a retry). */
    public record Rotated(SecretRotation rotation, boolean created) {
    }

    /** A delivery to record for an event: the endpoint is found by the customer's subscriptions. */
    public record NewDelivery(String customerId, String eventId, String eventType, String voucherId, byte[] payload,
                              String traceContext) {
    }

    private final JdbcClient jdbc;
    private final SecretBox secrets;

    public WebhookStore(JdbcClient jdbc, SecretBox secrets) {
        this.jdbc = jdbc;
        this.secrets = secrets;
    }

    /**
     * The first answer to the registration a request with this customer's Idempotency-Key retries, if it retries one:
     * with the secret within {@code secretRetryWindow} of it, without after. Another request under the same key is
     * refused. Asked before the URL's host is looked up again, so that a retry is answered while its name server is
     * slow or down (it answered for the first).
     */
    public Optional<Registered> retried(String customerId, String url, List<String> eventTypes, String idempotencyKey,
                                        Duration secretRetryWindow, Instant now) {
        // One read of the endpoint with its key: a removal between two reads failed the second (a 500).
        Optional<Map.Entry<Endpoint, String>> earlier = jdbc.sql("""
                        SELECT %s, request_hash
                        FROM webhook_endpoints WHERE customer_id = :customer AND idempotency_key = :key"""
                        .formatted(ENDPOINT_COLUMNS))
                .param("customer", customerId).param("key", idempotencyKey)
                .query((rs, row) -> Map.entry(endpoint(rs, row), rs.getString("request_hash"))).optional();
        if (earlier.isEmpty()) {
            return Optional.empty();
        }
        if (!earlier.get().getValue().equals(registrationHash(url, eventTypes))) {
            throw new Refusal("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for another registration");
        }
        Endpoint endpoint = earlier.get().getKey();
        Optional<String> firstSecret = now.isBefore(endpoint.createdAt().plus(secretRetryWindow))
                ? firstSecretIfCurrent(endpoint.id()) : Optional.empty();
        return Optional.of(new Registered(firstSecret.map(endpoint::withSecret).orElse(endpoint), false));
    }

    private static String registrationHash(String url, List<String> eventTypes) {
        return VoucherRules.sha256Hex(url + "\n" + String.join(",", eventTypes));
    }

    /**
     * Registers an endpoint, or answers a retry of a registration (same customer and Idempotency-Key) with the
     * first answer ({@link #retried}). Registrations of one customer are serialised, so the limit holds.
     */
    public Registered register(String customerId, String url, List<String> eventTypes, String idempotencyKey,
                             int maxPerCustomer, Duration secretRetryWindow, Instant at) {
        Instant now = at.truncatedTo(java.time.temporal.ChronoUnit.MICROS); // what the database keeps
        jdbc.sql("SELECT pg_advisory_xact_lock(hashtextextended('webhook-customer:' || :customer, 0))")
                .param("customer", customerId).query().singleRow();
        Optional<Registered> retried = retried(customerId, url, eventTypes, idempotencyKey, secretRetryWindow, now);
        if (retried.isPresent()) {
            return retried.get();
        }
        long existing = jdbc.sql("SELECT count(*) FROM webhook_endpoints WHERE customer_id = :customer")
                .param("customer", customerId).query(Long.class).single();
        if (existing >= maxPerCustomer) {
            throw tooManyWebhooks(maxPerCustomer);
        }
        String endpointId = UUID.randomUUID().toString();
        String secret = SecretBox.newSecret();
        SecretBox.Sealed sealed = secrets.seal(endpointId, secret);
        jdbc.sql("""
                        INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, secret_key_id,
                            secret_ciphertext, idempotency_key, request_hash, created_at)
                        VALUES (:id, :customer, :url, :types, :keyId, :ciphertext, :key, :hash, :now)""")
                .param("id", endpointId).param("customer", customerId).param("url", url)
                .param("types", eventTypes.toArray(String[]::new)).param("keyId", sealed.keyId())
                .param("ciphertext", sealed.ciphertext()).param("key", idempotencyKey)
                .param("hash", registrationHash(url, eventTypes))
                .param("now", Timestamp.from(now)).update();
        return new Registered(new Endpoint(endpointId, url, List.copyOf(eventTypes), now, null, null, secret), true);
    }

    /** The secret the endpoint was registered with, unless a rotation replaced it. */
    private Optional<String> firstSecretIfCurrent(String endpointId) {
        return jdbc.sql("""
                        SELECT secret_key_id, secret_ciphertext FROM webhook_signing_secrets
                        WHERE endpoint_id = :endpoint AND rotation_key IS NULL AND retired_at IS NULL""")
                .param("endpoint", endpointId).query().listOfRows().stream().findFirst()
                .map(row -> open(endpointId, row));
    }

    /**
     * Replaces the customer's endpoint's signing secret with a new one, or answers a retry of a rotation (same
     * endpoint and Idempotency-Key) with the first answer: with the secret within {@code secretRetryWindow} of it
     * while it is still the current one, without after. The secrets it replaces go on signing deliveries (beside
     * the new one) for {@code previousValidFor}, at most: a shorter time asked before stays. Empty if the customer
     * has no such endpoint.
     */
    public Optional<Rotated> rotateSecret(String customerId, String endpointId, Duration previousValidFor,
                                          String idempotencyKey, Duration secretRetryWindow, Instant at) {
        Instant now = at.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        if (!holdAgainstRemoval(customerId, endpointId)) {
            return Optional.empty();
        }
        jdbc.sql("SELECT pg_advisory_xact_lock(hashtextextended('webhook-rotation:' || :endpoint, 0))")
                .param("endpoint", endpointId).query().singleRow();
        String requestHash = Long.toString(previousValidFor.toSeconds());
        Optional<Map<String, Object>> earlier = jdbc.sql("""
                        SELECT rotation_hash, secret_key_id, secret_ciphertext, created_at, retired_at,
                               previous_secret_expires_at
                        FROM webhook_signing_secrets WHERE endpoint_id = :endpoint AND rotation_key = :key""")
                .param("endpoint", endpointId).param("key", idempotencyKey).query().listOfRows().stream().findFirst();
        if (earlier.isPresent()) {
            Map<String, Object> row = earlier.get();
            if (!row.get("rotation_hash").equals(requestHash)) {
                throw new Refusal("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for another rotation");
            }
            Instant rotatedAt = ((Timestamp) row.get("created_at")).toInstant();
            boolean showSecret = row.get("retired_at") == null && now.isBefore(rotatedAt.plus(secretRetryWindow));
            return Optional.of(new Rotated(new SecretRotation(endpointId, showSecret ? open(endpointId, row) : null,
                    rotatedAt, ((Timestamp) row.get("previous_secret_expires_at")).toInstant()), false));
        }
        long recent = jdbc.sql("""
                        SELECT count(*) FROM webhook_signing_secrets
                        WHERE endpoint_id = :endpoint AND rotation_key IS NOT NULL AND created_at > :since""")
                .param("endpoint", endpointId).param("since", Timestamp.from(now.minus(ROTATION_LIMIT_WINDOW)))
                .query(Long.class).single();
        if (recent >= MAX_ROTATIONS) {
            throw new Refusal("TOO_MANY_ROTATIONS", "This endpoint's secret was rotated " + MAX_ROTATIONS
                    + " times in the last " + ROTATION_LIMIT_WINDOW.toHours() + " hours, the most it may be");
        }
        Instant previousExpiresAt = now.plus(previousValidFor);
        jdbc.sql("""
                        UPDATE webhook_signing_secrets SET retired_at = :expires
                        WHERE endpoint_id = :endpoint AND (retired_at IS NULL OR retired_at > :expires)""")
                .param("endpoint", endpointId).param("expires", Timestamp.from(previousExpiresAt)).update();
        String secret = SecretBox.newSecret();
        SecretBox.Sealed sealed = secrets.seal(endpointId, secret);
        jdbc.sql("""
                        INSERT INTO webhook_signing_secrets (endpoint_id, secret_key_id, secret_ciphertext, created_at,
                            rotation_key, rotation_hash, previous_secret_expires_at)
                        VALUES (:endpoint, :keyId, :ciphertext, :now, :key, :hash, :expires)""")
                .param("endpoint", endpointId).param("keyId", sealed.keyId()).param("ciphertext", sealed.ciphertext())
                .param("now", Timestamp.from(now)).param("key", idempotencyKey).param("hash", requestHash)
                .param("expires", Timestamp.from(previousExpiresAt)).update();
        return Optional.of(new Rotated(new SecretRotation(endpointId, secret, now, previousExpiresAt), true));
    }

    /**
     * Forgets the secrets replaced more than {@link #REPLACED_SECRET_KEPT} ago (their ciphertext, and the rotations
     * that made them with their keys); returns how many went.
     */
    public int forgetReplacedSecrets(Instant now) {
        return jdbc.sql("DELETE FROM webhook_signing_secrets WHERE retired_at < :forgotten")
                .param("forgotten", Timestamp.from(now.minus(REPLACED_SECRET_KEPT))).update();
    }

    /**
     * The secrets that sign the endpoint's deliveries at {@code now}: the current one first. One that cannot be
     * opened (its key dropped from {@code webhook.secret-encryption.keys} too soon) is left out and said in the log:
     * the attempt goes on with the others, or fails on the sending side without any, and its endpoint waits its turn
     * again instead of standing first in every worker's way.
     */
    private List<String> signingSecrets(String endpointId, Instant now) {
        return jdbc.sql("""
                        SELECT secret_key_id, secret_ciphertext FROM webhook_signing_secrets
                        WHERE endpoint_id = :endpoint AND (retired_at IS NULL OR retired_at > :now)
                        ORDER BY retired_at DESC NULLS FIRST, secret_id DESC""")
                .param("endpoint", endpointId).param("now", Timestamp.from(now))
                .query().listOfRows().stream().flatMap(row -> openable(endpointId, row).stream()).toList();
    }

    private Optional<String> openable(String endpointId, Map<String, Object> row) {
        try {
            return Optional.of(open(endpointId, row));
        } catch (RuntimeException unopenable) { // its key gone, or a row not of this endpoint's or cut short
            log.error("A signing secret of endpoint {} cannot be opened: {}", endpointId, unopenable.getMessage());
            return Optional.empty();
        }
    }

    private String open(String endpointId, Map<String, Object> row) {
        return secrets.open(endpointId, new SecretBox.Sealed((String) row.get("secret_key_id"),
                (byte[]) row.get("secret_ciphertext")));
    }

    /**
     * Refuses a registration past the customer's limit before its URL's host is resolved, which may take as long as
     * a slow name server wants: a customer at the limit cannot keep the service resolving names. A retry of a
     * registration (its key known) is let through to be answered; {@link #register} checks again under the
     * customer's lock.
     */
    public void checkRoomFor(String customerId, String idempotencyKey, int maxPerCustomer) {
        boolean room = jdbc.sql("""
                        SELECT count(*) < :max OR coalesce(bool_or(idempotency_key = :key), false)
                        FROM webhook_endpoints WHERE customer_id = :customer""")
                .param("max", maxPerCustomer).param("key", idempotencyKey).param("customer", customerId)
                .query(Boolean.class).single();
        if (!room) {
            throw tooManyWebhooks(maxPerCustomer);
        }
    }

    private static Refusal tooManyWebhooks(int maxPerCustomer) {
        return new Refusal("TOO_MANY_WEBHOOKS", "You have " + maxPerCustomer + " webhook endpoints, the most one "
                + "customer may have; remove one first");
    }

    public List<Endpoint> endpointsOf(String customerId) {
        return jdbc.sql("""
                        SELECT %s
                        FROM webhook_endpoints WHERE customer_id = :customer ORDER BY created_at, endpoint_id"""
                        .formatted(ENDPOINT_COLUMNS))
                .param("customer", customerId).query(WebhookStore::endpoint).list();
    }

    public Optional<Endpoint> endpoint(String customerId, String endpointId) {
        return jdbc.sql("""
                        SELECT %s
                        FROM webhook_endpoints WHERE customer_id = :customer AND endpoint_id = :id"""
                        .formatted(ENDPOINT_COLUMNS))
                .param("customer", customerId).param("id", endpointId).query(WebhookStore::endpoint).optional();
    }

    /**
     * Disables the endpoint: nothing more is sent to it, nor recorded for it, until {@link #enable}; its queue stays
     * as it is. Its caller holds the endpoint (an attempt's transaction). False if it was disabled already: a second
     * reason does not replace the first.
     */
    public boolean disable(String endpointId, String reason, Instant at) {
        return jdbc.sql("""
                        UPDATE webhook_endpoints SET disabled_at = :at, disabled_reason = :reason
                        WHERE endpoint_id = :id AND disabled_at IS NULL""")
                .param("id", endpointId).param("reason", reason).param("at", Timestamp.from(at)).update() > 0;
    }

    /**
     * Enables the customer's endpoint again, no longer resting, the heads of its vouchers' queues due at once (they
     * waited out their backoff meanwhile, up to an hour) and the rest behind them in order; the endpoint as it is now,
     * or empty if the customer has no such endpoint. Enabling one that is enabled changes nothing, and does not wait
     * for an attempt in flight to it.
     */
    public Optional<Endpoint> enable(String customerId, String endpointId, Instant now) {
        Optional<Endpoint> enabled = jdbc.sql("""
                        UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, failures_in_a_row = 0,
                            resting_until = NULL
                        WHERE customer_id = :customer AND endpoint_id = :id AND disabled_at IS NOT NULL
                        RETURNING %s""".formatted(ENDPOINT_COLUMNS))
                .param("customer", customerId).param("id", endpointId).query(WebhookStore::endpoint).optional();
        if (enabled.isEmpty()) {
            return endpoint(customerId, endpointId);
        }
        // Held now as an attempt holds it; then its heads and (by the trigger) its head row, as in an attempt. A head a
        // recording holds (queuing behind it) keeps its time: waited for, the two could wait for each other.
        jdbc.sql("""
                        UPDATE webhook_deliveries SET next_attempt_at = :now
                        WHERE delivery_id IN (SELECT delivery_id FROM webhook_deliveries
                                              WHERE endpoint_id = :id AND status = 'PENDING' AND waiting_behind IS NULL
                                                AND next_attempt_at > :now
                                              FOR NO KEY UPDATE SKIP LOCKED)""")
                .param("id", endpointId).param("now", Timestamp.from(now)).update();
        // Its rest is over even where no head changed (all due already), which would have set the row.
        refreshHead(endpointId);
        return enabled;
    }

    /** Deliveries given up unattempted from the queue of an endpoint left disabled. */
    public record DisabledQueueGivenUp(String endpointId, int deliveries) {
    }

    /**
     * Gives up, without an attempt, the first pending deliveries (up to {@value #MAX_GIVEN_UP_BEHIND}) of one endpoint
     * disabled before {@code disabledBefore} and not in {@code passedOver}: its receiver said it is gone and stayed so
     * past the give-up age, so its queue would otherwise stay for good, its head row passed over by every worker's
     * every look. Empty when no such endpoint has a pending delivery; none given up when another transaction holds
     * them (a resend): pass that endpoint over for the rest of the sweep.
     */
    public Optional<DisabledQueueGivenUp> giveUpQueueOfAnEndpointDisabledBefore(Instant disabledBefore,
                                                                                Set<String> passedOver, Instant now) {
        return jdbc.sql("""
                        SELECT e.endpoint_id FROM webhook_endpoints e
                        WHERE e.disabled_at < :disabledBefore AND NOT e.endpoint_id = ANY (:passedOver)
                          AND EXISTS (SELECT 1 FROM webhook_deliveries d
                                      WHERE d.endpoint_id = e.endpoint_id AND d.status = 'PENDING')
                        ORDER BY e.disabled_at, e.endpoint_id
                        LIMIT 1 FOR NO KEY UPDATE OF e SKIP LOCKED""")
                .param("disabledBefore", Timestamp.from(disabledBefore))
                .param("passedOver", passedOver.toArray(String[]::new)).query(String.class).optional()
                .map(endpointId -> new DisabledQueueGivenUp(endpointId,
                        giveUpPendingCreatedBefore(endpointId, now, now)));
    }

    /** Removes the customer's endpoint with its deliveries and their attempts; false if the customer has no such endpoint. */
    public boolean remove(String customerId, String endpointId) {
        return jdbc.sql("DELETE FROM webhook_endpoints WHERE customer_id = :customer AND endpoint_id = :id")
                .param("customer", customerId).param("id", endpointId).update() > 0;
    }

    /**
     * The event types the customers' enabled endpoints subscribe to, by customer; a customer without any is absent.
     */
    public Map<String, Set<String>> subscriptionsOf(Collection<String> customerIds) {
        Map<String, Set<String>> subscribed = new HashMap<>();
        if (customerIds.isEmpty()) {
            return subscribed;
        }
        jdbc.sql("""
                        SELECT customer_id, event_types FROM webhook_endpoints
                        WHERE customer_id = ANY (:customers) AND disabled_at IS NULL""")
                .param("customers", customerIds.toArray(String[]::new))
                .query(rows -> {
                    subscribed.computeIfAbsent(rows.getString("customer_id"), customer -> new HashSet<>())
                            .addAll(Arrays.asList((String[]) rows.getArray("event_types").getArray()));
                });
        return subscribed;
    }

    /**
     * Records the deliveries of events to the enabled endpoints of their customers that subscribe to their types, once
     * per event and endpoint however often an event is read; returns how many are new. A disabled endpoint gets none:
     * its receiver said it takes no more, and what it would miss meanwhile would pile up for as long as it stays so.
     */
    public int record(List<NewDelivery> deliveries, Instant now) {
        if (deliveries.isEmpty()) {
            return 0;
        }
        // One statement, in endpoint order (each endpoint's in the events' order): its rows' triggers take the
        // endpoints' head rows in that order, so two instances recording at once cannot wait for each other in a circle.
        // The endpoints are held against removal first, as a resend holds its endpoint: a removal's cascade would wait
        // for a delivery this queues behind (V12) while this waits, checking its foreign key, for the removal.
        return jdbc.sql("""
                        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status,
                            created_at, next_attempt_at, trace_context)
                        SELECT e.endpoint_id, d.event_id, d.event_type, d.voucher_id, d.payload, 'PENDING', :now, :now,
                            d.trace_context
                        FROM unnest(:customers, :eventIds, :types, :voucherIds, :payloads, :traces) WITH ORDINALITY
                            AS d (customer_id, event_id, event_type, voucher_id, payload, trace_context, event_order)
                        JOIN webhook_endpoints e ON e.customer_id = d.customer_id AND d.event_type = ANY (e.event_types)
                            AND e.disabled_at IS NULL
                        ORDER BY e.endpoint_id, d.event_order
                        FOR KEY SHARE OF e
                        ON CONFLICT (endpoint_id, event_id) WHERE resend_of IS NULL DO NOTHING""")
                .param("customers", deliveries.stream().map(NewDelivery::customerId).toArray(String[]::new))
                .param("eventIds", deliveries.stream().map(NewDelivery::eventId).toArray(String[]::new))
                .param("types", deliveries.stream().map(NewDelivery::eventType).toArray(String[]::new))
                .param("voucherIds", deliveries.stream().map(NewDelivery::voucherId).toArray(String[]::new))
                .param("payloads", deliveries.stream().map(NewDelivery::payload).toArray(byte[][]::new))
                .param("traces", deliveries.stream().map(NewDelivery::traceContext).toArray(String[]::new))
                .param("now", Timestamp.from(now))
                .update();
    }

    /** The customer's endpoint's deliveries, newest first, before the delivery {@code before} if given; empty if no such endpoint. */
    public Optional<List<Delivery>> deliveriesOf(String customerId, String endpointId, Long before, int size) {
        if (endpoint(customerId, endpointId).isEmpty()) {
            return Optional.empty();
        }
        List<Delivery> deliveries = jdbc.sql("""
                        SELECT * FROM webhook_deliveries WHERE endpoint_id = :endpoint AND delivery_id < :before
                        ORDER BY delivery_id DESC LIMIT :size""")
                .param("endpoint", endpointId).param("before", before == null ? Long.MAX_VALUE : before)
                .param("size", size).query(WebhookStore::delivery).list();
        return Optional.of(withAttempts(deliveries));
    }

    public Optional<Delivery> delivery(String customerId, String endpointId, long deliveryId) {
        return jdbc.sql("""
                        SELECT d.* FROM webhook_deliveries d JOIN webhook_endpoints e ON e.endpoint_id = d.endpoint_id
                        WHERE e.customer_id = :customer AND d.endpoint_id = :endpoint AND d.delivery_id = :delivery""")
                .param("customer", customerId).param("endpoint", endpointId).param("delivery", deliveryId)
                .query(WebhookStore::delivery).optional()
                .map(delivery -> withAttempts(List.of(delivery)).get(0));
    }

    /**
     * Queues the delivery's event to its endpoint again, as a new delivery at the end of its voucher's queue to it;
     * a retry with the same Idempotency-Key gets the same new delivery, and the key cannot resend another one.
     * Empty if the customer has no such delivery.
     */
    public Optional<Delivery> resend(String customerId, String endpointId, long deliveryId, String idempotencyKey,
                                     Instant now) {
        // The endpoint before any of its deliveries: a removal locks the endpoint and then deletes its deliveries, so
        // a resend that held a delivery first and then, recording the new one, the endpoint's key, could deadlock
        // with it. Held first, the removal waits for the resend, or the resend finds the endpoint gone.
        if (!holdAgainstRemoval(customerId, endpointId) || delivery(customerId, endpointId, deliveryId).isEmpty()
                || !lockFirstDeliveryOfEvent(deliveryId)) {
            return Optional.empty();
        }
        checkRoomForResend(endpointId, deliveryId, idempotencyKey);
        jdbc.sql("""
                        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status,
                            created_at, next_attempt_at, resend_of, idempotency_key)
                        SELECT endpoint_id, event_id, event_type, voucher_id, payload, 'PENDING', :now, :now, delivery_id, :key
                        FROM webhook_deliveries WHERE delivery_id = :delivery
                        ON CONFLICT ON CONSTRAINT webhook_deliveries_resend_key_once DO NOTHING""")
                .param("now", Timestamp.from(now)).param("delivery", deliveryId).param("key", idempotencyKey).update();
        Map<String, Object> resent = jdbc.sql("""
                        SELECT delivery_id, resend_of FROM webhook_deliveries
                        WHERE endpoint_id = :endpoint AND idempotency_key = :key""")
                .param("endpoint", endpointId).param("key", idempotencyKey).query().singleRow();
        if (((Number) resent.get("resend_of")).longValue() != deliveryId) {
            throw new Refusal("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used to resend another delivery");
        }
        return delivery(customerId, endpointId, ((Number) resent.get("delivery_id")).longValue());
    }

    /**
     * Refuses a new resend while the endpoint has {@value #MAX_PENDING_RESENDS} resends not yet sent, or once the
     * delivery's event has been resent {@value #MAX_RESENDS_OF_AN_EVENT} times to it: each is a delivery to make and a
     * row that keeps its event's rows past the retention, and nothing else bounds how many a customer asks for (an
     * endpoint that answers at once empties its queue as fast as it is filled). A retry of a resend (its key known) is
     * answered as before.
     */
    private void checkRoomForResend(String endpointId, long deliveryId, String idempotencyKey) {
        // Through indexes of their own (V6, V3's by event, the key's unique one), none reading more than 100 rows: the
        // endpoint's deliveries of a month, or those queued behind a failing one, are not counted.
        boolean room = jdbc.sql("""
                        SELECT ((SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries
                                                       WHERE endpoint_id = :endpoint AND status = 'PENDING'
                                                         AND resend_of IS NOT NULL LIMIT :max) waiting) < :max
                                AND (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries r
                                                           JOIN webhook_deliveries d ON d.endpoint_id = r.endpoint_id
                                                                                    AND d.event_id = r.event_id
                                                           WHERE d.delivery_id = :delivery AND r.resend_of IS NOT NULL
                                                           LIMIT :maxOfAnEvent) resent) < :maxOfAnEvent)
                               OR EXISTS (SELECT 1 FROM webhook_deliveries
                                          WHERE endpoint_id = :endpoint AND idempotency_key = :key)""")
                .param("max", MAX_PENDING_RESENDS).param("maxOfAnEvent", MAX_RESENDS_OF_AN_EVENT)
                .param("delivery", deliveryId).param("key", idempotencyKey).param("endpoint", endpointId)
                .query(Boolean.class).single();
        if (!room) {
            throw new Refusal("TOO_MANY_RESENDS", "This endpoint has " + MAX_PENDING_RESENDS + " resends waiting to "
                    + "be sent, or this event was resent to it " + MAX_RESENDS_OF_AN_EVENT + " times; ask for more "
                    + "once they are sent, or resend another event");
        }
    }

    /**
     * Holds the customer's endpoint against its removal until the transaction ends; false if the customer has no
     * such endpoint. The weakest row lock: an attempt in flight (FOR NO KEY UPDATE for as long as its endpoint takes
     * to answer) does not hold the caller up, nor the caller the attempt.
     */
    private boolean holdAgainstRemoval(String customerId, String endpointId) {
        return jdbc.sql("""
                        SELECT 1 FROM webhook_endpoints WHERE customer_id = :customer AND endpoint_id = :endpoint
                        FOR KEY SHARE""")
                .param("customer", customerId).param("endpoint", endpointId).query().listOfRows().size() == 1;
    }

    /**
     * Holds the first delivery of the delivery's event to its endpoint against the retention sweep until the
     * transaction ends, so that a resend is never recorded under rows being forgotten; false if they are gone. A lock
     * that excludes itself: two resends of one event take turns, so each counts the other's ({@link #checkRoomForResend}).
     * It does not exclude the key-share lock a resend's own row takes on it.
     */
    private boolean lockFirstDeliveryOfEvent(long deliveryId) {
        return jdbc.sql("""
                        SELECT first.delivery_id FROM webhook_deliveries first JOIN webhook_deliveries d
                            ON d.endpoint_id = first.endpoint_id AND d.event_id = first.event_id
                        WHERE d.delivery_id = :delivery AND first.resend_of IS NULL FOR NO KEY UPDATE OF first""")
                .param("delivery", deliveryId).query(Long.class).optional().isPresent();
    }

    /**
     * Locks one endpoint with a delivery due — one no other instance holds, not resting after a failed attempt — and
     * returns the first due of its vouchers' heads (each voucher's first pending delivery to it: the later ones wait for
     * it, so each voucher's events go in order). The lock is the transaction's: it holds while the caller sends, so an
     * endpoint's deliveries go one at a time over all instances, and it goes with the connection if the instance dies. It is the weaker
     * row lock that leaves the endpoint's key alone: new deliveries to the endpoint, whose foreign key shares the
     * key, are recorded meanwhile instead of waiting for the attempt (and holding up everyone's events behind it).
     *
     * <p>The endpoints take turns by how long their head has been due, and one customer's endpoints hold at most
     * {@value #ATTEMPTS_PER_CUSTOMER} attempts at once over all instances (a transaction's advisory lock per place):
     * a customer whose endpoints answer slowly, on purpose or not, cannot take every worker from everyone else.
     */
    public Optional<Due> lockNextDue(Instant now) {
        Set<String> busyCustomers = new HashSet<>();
        Set<String> passedOver = new HashSet<>();
        // An endpoint let go again goes back to the savepoint (its row lock, its customer's place): it must not stay
        // locked, and its removal wait, through the attempt this transaction makes for another endpoint.
        jdbc.sql("SAVEPOINT next_due").update();
        while (true) {
            Optional<Map<String, Object>> endpoint = nextDueEndpoint(now, busyCustomers, passedOver);
            if (endpoint.isEmpty()) {
                jdbc.sql("RELEASE SAVEPOINT next_due").update();
                return Optional.empty();
            }
            Map<String, Object> locked = endpoint.get();
            String endpointId = (String) locked.get("endpoint_id");
            if (!placeTaken((String) locked.get("customer_id"))) {
                busyCustomers.add((String) locked.get("customer_id"));
                jdbc.sql("ROLLBACK TO SAVEPOINT next_due").update();
                continue;
            }
            Optional<Map<String, Object>> head = resting(locked, now) ? Optional.empty() : dueHead(endpointId, now);
            if (head.isPresent()) {
                jdbc.sql("RELEASE SAVEPOINT next_due").update();
                return head.map(pending -> due(pending, endpointId, (String) locked.get("url"),
                        (Integer) locked.get("failures_in_a_row"), now));
            }
            // An early row: its queue has nothing due, or the endpoint rests. Mended, it is kept with this transaction,
            // which ends without an attempt (the worker looks again); left as it was (deliveries to it are being
            // recorded), it is passed over.
            if (refreshHead(endpointId)) {
                jdbc.sql("RELEASE SAVEPOINT next_due").update();
                return Optional.empty();
            }
            passedOver.add(endpointId);
            jdbc.sql("ROLLBACK TO SAVEPOINT next_due").update();
        }
    }

    /** Whether the endpoint locked rests after a failed attempt. */
    private static boolean resting(Map<String, Object> endpoint, Instant now) {
        Timestamp restingUntil = (Timestamp) endpoint.get("resting_until");
        return restingUntil != null && restingUntil.toInstant().isAfter(now);
    }

    /**
     * The endpoint's head if due: of its vouchers' heads (each voucher's first pending delivery to it) the one due
     * first, read again under its lock in a new snapshot: another may have sent it just before.
     */
    private Optional<Map<String, Object>> dueHead(String endpointId, Instant now) {
        return jdbc.sql("""
                        SELECT delivery_id, event_id, payload, created_at, attempts, next_attempt_at, trace_context
                        FROM webhook_deliveries
                        WHERE endpoint_id = :endpoint AND status = 'PENDING' AND waiting_behind IS NULL
                        ORDER BY next_attempt_at, delivery_id LIMIT 1""")
                .param("endpoint", endpointId).query().listOfRows().stream().findFirst()
                .filter(pending -> !((Timestamp) pending.get("next_attempt_at")).toInstant().isAfter(now));
    }

    private Due due(Map<String, Object> pending, String endpointId, String url, int endpointFailuresInARow, Instant now) {
        return new Due((Long) pending.get("delivery_id"), endpointId, url,
                signingSecrets(endpointId, now), (String) pending.get("event_id"), (byte[]) pending.get("payload"),
                ((Timestamp) pending.get("created_at")).toInstant(), (Integer) pending.get("attempts"),
                (String) pending.get("trace_context"), endpointFailuresInARow);
    }

    /**
     * Locks the endpoint, of a customer not busy, whose turn came first, if its head is due and no other transaction
     * holds it: the first of the endpoints' heads ({@code V7}) that can be locked, without reading the deliveries queued
     * behind them. An endpoint's turn is when its head fell due, or when an attempt to one of its customer's endpoints
     * last ended if that was later ({@code V10}): a customer just served goes behind those due meanwhile, so that a
     * backlog does not hold up the others. A due endpoint's turn is now at the latest, by the clock of the instance
     * that attempted it last: looked for up to {@link #CLOCK_SKEW} later, the index is read no further than the due.
     */
    private Optional<Map<String, Object>> nextDueEndpoint(Instant now, Set<String> busyCustomers,
                                                          Set<String> passedOver) {
        return jdbc.sql("""
                        SELECT e.endpoint_id, e.customer_id, e.url, e.failures_in_a_row, e.resting_until
                        FROM webhook_endpoint_heads h JOIN webhook_endpoints e ON e.endpoint_id = h.endpoint_id
                        WHERE greatest(h.due_at, h.last_attempted_at) <= :latestTurn AND h.due_at <= :now
                          AND e.disabled_at IS NULL
                          AND NOT e.customer_id = ANY (:busy)
                          AND NOT h.endpoint_id = ANY (:passedOver)
                        ORDER BY greatest(h.due_at, h.last_attempted_at), h.endpoint_id
                        LIMIT 1 FOR NO KEY UPDATE OF e SKIP LOCKED""")
                .param("now", Timestamp.from(now))
                .param("latestTurn", Timestamp.from(now.plus(CLOCK_SKEW)))
                .param("busy", busyCustomers.toArray(String[]::new))
                .param("passedOver", passedOver.toArray(String[]::new))
                .query().listOfRows().stream().findFirst();
    }

    /**
     * Sets the endpoint's head row from its queue as committed now ({@code V7}'s {@code webhook_endpoint_head_refresh});
     * false if it left the row as it was (deliveries to the endpoint being recorded, none visible).
     */
    private boolean refreshHead(String endpointId) {
        return jdbc.sql("SELECT webhook_endpoint_head_refresh(:endpoint)").param("endpoint", endpointId)
                .query(Boolean.class).single();
    }

    /**
     * The endpoints, at most {@code max}, whose head row is missing, late, or left when nothing is pending (or nothing
     * committed yet), for {@link #repairHead} to mend; none if another instance is looking at once (one look reads every
     * endpoint's head). Early rows are not listed: the next worker to take the endpoint sends from them or mends them.
     * Due as {@code V12}'s {@code webhook_endpoint_due} says: the first of its vouchers' heads, not while it rests.
     */
    public List<String> endpointsWithWrongHeads(int max) {
        if (!repairsOurTurn()) {
            return List.of();
        }
        return jdbc.sql("""
                        SELECT e.endpoint_id FROM webhook_endpoints e
                        LEFT JOIN webhook_endpoint_heads h ON h.endpoint_id = e.endpoint_id
                        LEFT JOIN LATERAL webhook_endpoint_due(e.endpoint_id) head ON true
                        WHERE (h.due_at IS NULL) <> (head.due_at IS NULL) OR h.due_at > head.due_at
                        LIMIT :max""")
                .param("max", max).query(String.class).list();
    }

    /**
     * Sets the endpoint's head row from its queue, unless an attempt holds the endpoint (its end sets the row); false
     * then, if the endpoint is gone, or if the row was left as it was (deliveries to it being recorded).
     */
    public boolean repairHead(String endpointId) {
        return heldUnlessAnAttemptHolds(endpointId) && refreshHead(endpointId);
    }

    /** Whether this transaction looks through every endpoint for the repair now: one instance at a time does. */
    private boolean repairsOurTurn() {
        return jdbc.sql("SELECT pg_try_advisory_xact_lock(hashtextextended('webhook-head-repair', 0))")
                .query(Boolean.class).single();
    }

    /** Holds the endpoint as an attempt does, unless one holds it (or it is gone); whether it is held now. */
    private boolean heldUnlessAnAttemptHolds(String endpointId) {
        return !jdbc.sql("""
                        SELECT 1 FROM webhook_endpoints WHERE endpoint_id = :endpoint FOR NO KEY UPDATE SKIP LOCKED""")
                .param("endpoint", endpointId).query().listOfRows().isEmpty();
    }

    /**
     * The endpoints, at most {@code max}, with a delivery waiting behind one that is no longer pending (a wake passed
     * over by a give-up of many at once, which does not wait for a delivery a recording holds; or a bug), for
     * {@link #wakeDeliveriesWaitingBehindNone} to wake; none if another instance is looking at once. Reads every waiting
     * delivery: as many as the endpoints' queues hold behind their vouchers' heads.
     */
    public List<String> endpointsWithDeliveriesWaitingBehindNone(int max) {
        if (!repairsOurTurn()) {
            return List.of();
        }
        return jdbc.sql("""
                        SELECT DISTINCT w.endpoint_id FROM webhook_deliveries w
                        WHERE w.status = 'PENDING' AND w.waiting_behind IS NOT NULL
                          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries before
                                          WHERE before.delivery_id = w.waiting_behind AND before.status = 'PENDING')
                        ORDER BY w.endpoint_id LIMIT :max""")
                .param("max", max).query(String.class).list();
    }

    /**
     * Makes the endpoint's deliveries waiting behind one no longer pending their vouchers' heads, due since they were
     * recorded, under the endpoint's lock as an attempt holds it (their trigger sets its head row); returns how many.
     * None while an attempt holds the endpoint (its end wakes what it can), and one a recording holds (queuing behind
     * it) is left to the next sweep.
     */
    public int wakeDeliveriesWaitingBehindNone(String endpointId) {
        if (!heldUnlessAnAttemptHolds(endpointId)) {
            return 0;
        }
        // Of those waiting behind one, the first becomes its voucher's head and the others wait behind it, as an
        // attempt's end wakes them (V12).
        return jdbc.sql("""
                        UPDATE webhook_deliveries waiting SET waiting_behind = nullif(first.delivery_id, waiting.delivery_id)
                        FROM (SELECT w.waiting_behind AS ended, min(w.delivery_id) AS delivery_id
                              FROM webhook_deliveries w
                              WHERE w.endpoint_id = :endpoint AND w.status = 'PENDING' AND w.waiting_behind IS NOT NULL
                                AND NOT EXISTS (SELECT 1 FROM webhook_deliveries before
                                                WHERE before.delivery_id = w.waiting_behind AND before.status = 'PENDING')
                              GROUP BY w.waiting_behind) first
                        WHERE waiting.waiting_behind = first.ended
                          AND waiting.delivery_id IN (SELECT delivery_id FROM webhook_deliveries
                                                      WHERE endpoint_id = :endpoint AND status = 'PENDING'
                                                        AND waiting_behind IS NOT NULL
                                                      FOR NO KEY UPDATE SKIP LOCKED)""")
                .param("endpoint", endpointId).update();
    }

    /** Takes one of the customer's places for an attempt, until the transaction ends; false if every place is taken. */
    private boolean placeTaken(String customerId) {
        for (int place = 1; place <= ATTEMPTS_PER_CUSTOMER; place++) {
            boolean taken = jdbc.sql("SELECT pg_try_advisory_xact_lock(hashtextextended('webhook-attempt-place:' "
                            + "|| :place || ':' || :customer, 0))")
                    .param("place", place).param("customer", customerId).query(Boolean.class).single();
            if (taken) {
                return true;
            }
        }
        return false;
    }

    /**
     * Records an attempt and what follows: delivered, tried again at {@code nextAttempt}, or given up (when
     * {@code nextAttempt} is empty after a failure); and for the endpoint, after a failure, rest until
     * {@code restsUntil} (nothing is sent to it before), after a delivery none.
     */
    public void recordAttempt(Due due, Instant at, long durationMs, Integer statusCode, String error, boolean delivered,
                              Optional<Instant> nextAttempt, Instant restsUntil, Instant now) {
        jdbc.sql("""
                        INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error)
                        VALUES (:delivery, :attempt, :at, :duration, :status, :error)""")
                .param("delivery", due.deliveryId()).param("attempt", due.attempts() + 1).param("at", Timestamp.from(at))
                .param("duration", durationMs).param("status", statusCode, java.sql.Types.INTEGER)
                .param("error", kept(error), java.sql.Types.VARCHAR).update();
        // Before the delivery: its trigger sets the endpoint's head row, which waits out the rest.
        jdbc.sql("""
                        UPDATE webhook_endpoints SET failures_in_a_row = :failures, resting_until = :restsUntil
                        WHERE endpoint_id = :endpoint
                          AND (failures_in_a_row, resting_until) IS DISTINCT FROM (:failures, :restsUntil)""")
                .param("failures", delivered ? 0 : due.endpointFailuresInARow() + 1)
                .param("restsUntil", delivered ? null : Timestamp.from(restsUntil), java.sql.Types.TIMESTAMP)
                .param("endpoint", due.endpointId()).update();
        String status = delivered ? "DELIVERED" : nextAttempt.isPresent() ? "PENDING" : "GIVEN_UP";
        jdbc.sql("""
                        UPDATE webhook_deliveries SET attempts = attempts + 1, status = :status, next_attempt_at = :next,
                            finished_at = :finished WHERE delivery_id = :delivery""")
                .param("status", status)
                .param("next", status.equals("PENDING") ? Timestamp.from(nextAttempt.get()) : null, java.sql.Types.TIMESTAMP)
                .param("finished", status.equals("PENDING") ? null : Timestamp.from(now), java.sql.Types.TIMESTAMP)
                .param("delivery", due.deliveryId()).update();
        // After the update's trigger set the endpoint's row from its queue (or removed it, nothing pending): the turns
        // of the customer's endpoints come again behind the endpoints due by now. A column the recordings' share locks
        // do not hold off; a row another attempt of the customer's holds is passed over, not waited for (each would
        // wait for the other's), and that attempt stamps it as it ends.
        jdbc.sql("""
                        UPDATE webhook_endpoint_heads SET last_attempted_at = :now
                        WHERE endpoint_id IN (SELECT h.endpoint_id FROM webhook_endpoint_heads h
                                              JOIN webhook_endpoints e ON e.endpoint_id = h.endpoint_id
                                              WHERE e.customer_id = (SELECT customer_id FROM webhook_endpoints
                                                                     WHERE endpoint_id = :endpoint)
                                              FOR NO KEY UPDATE OF h SKIP LOCKED)""")
                .param("now", Timestamp.from(now)).param("endpoint", due.endpointId()).update();
    }

    /**
     * Gives up, without an attempt, those of the endpoint's first {@value #MAX_GIVEN_UP_BEHIND} pending deliveries made
     * before {@code cutoff} (the rest with the next head given up; ids rise with the time they were made); returns how
     * many. Its caller holds the endpoint. A delivery a resend has locked (it locks its event's first delivery, and
     * then waits for the endpoint's head row, which this transaction holds) is skipped: waited for, the two would wait
     * for each other.
     */
    public int giveUpPendingCreatedBefore(String endpointId, Instant cutoff, Instant now) {
        // Its triggers wake the deliveries waiting behind those given up, passing over one a recording holds (it may be
        // waiting for the endpoint's head row this transaction holds): the head repair wakes that one (V12).
        jdbc.sql("SELECT set_config('webhook.wake_skip_locked', 'on', true)").query().singleRow();
        int givenUp = jdbc.sql("""
                        UPDATE webhook_deliveries SET status = 'GIVEN_UP', next_attempt_at = NULL, finished_at = :now
                        WHERE delivery_id IN (
                            SELECT d.delivery_id FROM webhook_deliveries d
                            WHERE d.delivery_id IN (SELECT delivery_id FROM webhook_deliveries
                                                    WHERE endpoint_id = :endpoint AND status = 'PENDING'
                                                    ORDER BY delivery_id LIMIT :max)
                              AND d.created_at < :cutoff
                            FOR NO KEY UPDATE SKIP LOCKED)""")
                .param("now", Timestamp.from(now)).param("endpoint", endpointId).param("cutoff", Timestamp.from(cutoff))
                .param("max", MAX_GIVEN_UP_BEHIND).update();
        jdbc.sql("SELECT set_config('webhook.wake_skip_locked', 'off', true)").query().singleRow();
        return givenUp;
    }

    /**
     * An attempt's error as kept: it may carry the endpoint's own bytes (a status line, a header), and one the
     * database cannot keep as text (a NUL) would roll the attempt back, unrecorded, to be tried again at once and
     * ahead of everyone's deliveries; and one read back into a log line must not forge another. Line breaks and tabs
     * become spaces, other control characters U+FFFD; the whole is cut to {@link #MAX_ERROR_LENGTH}.
     */
    public static String kept(String error) {
        if (error == null) {
            return null;
        }
        String printable = error.codePoints()
                .map(c -> Character.isWhitespace(c) ? ' ' : Character.isISOControl(c) ? '\uFFFD' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        if (printable.length() <= MAX_ERROR_LENGTH) {
            return printable;
        }
        int end = MAX_ERROR_LENGTH - 1;
        return printable.substring(0, Character.isHighSurrogate(printable.charAt(end - 1)) ? end - 1 : end) + "\u2026";
    }

    /**
     * Forgets, with their attempts, the deliveries of up to {@code max} events to endpoints whose deliveries (the
     * first and every resend) all finished before {@code cutoff}, oldest first; returns how many deliveries went.
     * A resend still pending or finished since keeps the deliveries it came from, which its row refers to. Each
     * event's first delivery is locked, and one locked elsewhere skipped: by a resend being recorded (which locks
     * it too), or by another instance sweeping the same rows.
     */
    public int forgetFinishedBefore(Instant cutoff, int max) {
        List<Long> firsts = jdbc.sql("""
                        SELECT first.delivery_id FROM webhook_deliveries first
                        WHERE first.resend_of IS NULL AND first.status <> 'PENDING' AND first.finished_at < :cutoff
                          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries later
                                          WHERE later.endpoint_id = first.endpoint_id AND later.event_id = first.event_id
                                            AND (later.status = 'PENDING' OR later.finished_at >= :cutoff))
                        ORDER BY first.finished_at LIMIT :max FOR UPDATE OF first SKIP LOCKED""")
                .param("cutoff", Timestamp.from(cutoff)).param("max", max).query(Long.class).list();
        if (firsts.isEmpty()) {
            return 0;
        }
        // Looked at again in a statement of its own, so on a snapshot taken after the locks: a resend recorded between
        // the first statement's snapshot and its lock (whose own lock on the first delivery went with its commit) is
        // seen now and keeps its event. One recorded after waits for this transaction, and then finds its rows gone.
        return jdbc.sql("""
                        DELETE FROM webhook_deliveries d USING webhook_deliveries first
                        WHERE first.delivery_id IN (:firsts)
                          AND d.endpoint_id = first.endpoint_id AND d.event_id = first.event_id
                          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries later
                                          WHERE later.endpoint_id = first.endpoint_id AND later.event_id = first.event_id
                                            AND (later.status = 'PENDING' OR later.finished_at >= :cutoff))""")
                .param("firsts", firsts).param("cutoff", Timestamp.from(cutoff)).update();
    }

    private List<Delivery> withAttempts(List<Delivery> deliveries) {
        if (deliveries.isEmpty()) {
            return deliveries;
        }
        Map<String, List<Delivery.Attempt>> attempts = new LinkedHashMap<>();
        deliveries.forEach(delivery -> attempts.put(delivery.id(), new ArrayList<>()));
        jdbc.sql("SELECT * FROM webhook_attempts WHERE delivery_id IN (:ids) ORDER BY delivery_id, attempt")
                .param("ids", deliveries.stream().map(delivery -> Long.parseLong(delivery.id())).toList())
                .query((rs, n) -> {
                    attempts.get(Long.toString(rs.getLong("delivery_id"))).add(new Delivery.Attempt(rs.getInt("attempt"),
                            rs.getTimestamp("attempted_at").toInstant(), rs.getLong("duration_ms"),
                            (Integer) rs.getObject("status_code"), rs.getString("error")));
                    return null;
                }).list();
        return deliveries.stream().map(delivery -> delivery.withAttempts(attempts.get(delivery.id()))).toList();
    }

    /** The columns of {@code webhook_endpoints} that {@link #endpoint(ResultSet, int)} reads. */
    private static final String ENDPOINT_COLUMNS =
            "endpoint_id, url, event_types, created_at, disabled_at, disabled_reason";

    private static Endpoint endpoint(ResultSet rs, int row) throws SQLException {
        return new Endpoint(rs.getString("endpoint_id"), rs.getString("url"),
                Arrays.asList((String[]) rs.getArray("event_types").getArray()), rs.getTimestamp("created_at").toInstant(),
                instant(rs.getTimestamp("disabled_at")), rs.getString("disabled_reason"), null);
    }

    private static Delivery delivery(ResultSet rs, int row) throws SQLException {
        Object resendOf = rs.getObject("resend_of");
        return new Delivery(Long.toString(rs.getLong("delivery_id")), rs.getString("event_id"), rs.getString("event_type"),
                rs.getString("voucher_id"), rs.getString("status"), rs.getTimestamp("created_at").toInstant(),
                // Waiting behind an earlier delivery of its voucher, it has no time of its own yet.
                rs.getObject("waiting_behind") == null ? instant(rs.getTimestamp("next_attempt_at")) : null,
                instant(rs.getTimestamp("finished_at")),
                resendOf == null ? null : resendOf.toString(), List.of());
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
