package io.qrvoucher.support.internal;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.buffer.DataBuffer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrvoucher.support.RequestSignatures;

/**
 * The seal the ingress puts on its calls to the other services' internal APIs ({@code /internal/**}): an
 * HMAC-SHA256 of the call's method, its path and query as sent, its {@code Idempotency-Key}, the SHA-256 of its body
 * ({@value #BODY_DIGEST_HEADER}) and the second it was sent, in the header {@value #HEADER} as
 * {@code <epoch second> <key id>:<base64url mac>}, with the key of the service called. Each called service holds
 * its own key ({@code keys}) and the ingress holds the three ({@code callees}), so that a service taken over (say
 * webhook-delivery, which talks to the internet) cannot call the others: its key opens only its own door. Whoever
 * reaches an internal port without that key (another workload on the network, a scraper, a browser sent there) is
 * refused; a seal seen on the wire is good for that very call only, and only for {@code max-clock-skew} either side
 * of its second. A service's key is rotated by giving it the new key as well, sealing with it (the ingress's
 * {@code callees.<service>}), then dropping the old one.
 *
 * <p>HMAC rather than a signature of the ingress alone (Ed25519): on Java 17 a signature and its check cost about
 * 1 ms of CPU a call, a MAC a few microseconds, and per-service keys close the same door.
 *
 * @param keys         the keys calls to this service may be sealed with, by id, base64, at least 256 bits each
 *                     (voucher-streams, the ledger adapter, webhook-delivery); none: every internal call is refused
 * @param callees      the key of each service this one calls, by the service's name ({@link #VOUCHER_STREAMS},
 *                     {@link #LEDGER_ADAPTER}, {@link #WEBHOOK_DELIVERY}; the ingress)
 * @param maxClockSkew how far from the receiver's clock a seal's second may be
 */
@ConfigurationProperties("internal-api")
public record InternalApi(Map<String, String> keys, Map<String, Callee> callees,
                          @DefaultValue("PT1M") Duration maxClockSkew) {

    public static final String HEADER = "qr-internal-seal";
    /** The SHA-256 of a call's body, base64url: sealed, and checked against the body as it arrives. */
    public static final String BODY_DIGEST_HEADER = "qr-body-sha256";
    /** The header of a call's idempotency key, sealed with the call. */
    public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
    /** The first path segment of every internal API, on every service. */
    public static final String SEGMENT = "internal";
    /** The services with an internal API, as {@code callees} names them. */
    public static final String VOUCHER_STREAMS = "voucher-streams";
    public static final String LEDGER_ADAPTER = "ledger-adapter";
    public static final String WEBHOOK_DELIVERY = "webhook-delivery";
    /** Every service with an internal API: the ingress holds a key of each. */
    public static final List<String> SERVICES = List.of(VOUCHER_STREAMS, LEDGER_ADAPTER, WEBHOOK_DELIVERY);
    /** Kept apart from every other MAC made with these primitives (the request seal on Kafka). */
    private static final String DOMAIN = "qr-internal-seal/v1";
    private static final String LABEL = "internal API";
    private static final String DEFAULT_KEY_ID = "k1";

    public InternalApi {
        keys = keys == null ? Map.of() : Map.copyOf(keys);
        callees = callees == null ? Map.of() : Map.copyOf(callees);
    }

    /** A called service's keys: one, {@code k1}, and the default clock skew. */
    public static InternalApi withKey(String key) {
        return new InternalApi(Map.of(DEFAULT_KEY_ID, key), Map.of(), Duration.ofMinutes(1));
    }

    /** Whether a key to check calls with is configured: without one every call to this service is refused. */
    public boolean configured() {
        return !keyIds().isEmpty();
    }

    /** The ids of the keys calls to this service may be sealed with. */
    public SortedSet<String> keyIds() {
        return keys.entrySet().stream().filter(key -> present(key.getValue())).map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The key calls to this service are sealed with; the ingress does not start without one for each service. */
    public Callee callee(String service) {
        Callee callee = callees.get(service);
        if (callee == null || !present(callee.key())) {
            throw new IllegalStateException("No key for calls to " + service + "'s internal API is configured "
                    + "(internal-api.callees." + service + ".key, INTERNAL_API_KEY_"
                    + service.toUpperCase(Locale.ROOT).replace('-', '_') + "): the ingress seals its calls to "
                    + service + " with it, and " + service + " checks them with its internal-api.keys "
                    + "(docs/security.md)");
        }
        return callee;
    }

    /** Seals a WebClient's calls to one service with its key, at the second of the wall clock the receiver checks. */
    public SealedCalls sealedCalls(String service, MeterRegistry meters) {
        return new SealedCalls(service, callee(service).seals(Clock.systemUTC()), meters);
    }

    /** Checks seals with every configured key (a service that is called). */
    public Seals verifier(Clock clock) {
        return new Seals(new RequestSignatures(LABEL, null, keys), maxClockSkew, clock);
    }

    private static boolean present(String key) {
        return key != null && !key.isBlank();
    }

    /**
     * The key the calls to one service are sealed with.
     *
     * @param keyId the id the service knows the key by
     * @param key   base64, at least 256 bits: one of the service's {@code internal-api.keys}
     */
    public record Callee(@DefaultValue(DEFAULT_KEY_ID) String keyId, String key) {

        /** The key {@code k1} of a service. */
        public static Callee withKey(String key) {
            return new Callee(DEFAULT_KEY_ID, key);
        }

        /** Seals calls with this key. */
        public Seals seals(Clock clock) {
            return new Seals(new RequestSignatures(LABEL, keyId, Map.of(keyId, key)), Duration.ZERO, clock);
        }

        /** Seals a test's or a tool's calls to the service (counted as {@code callee=tool}). */
        public SealedCalls sealedCalls() {
            return new SealedCalls("tool", seals(Clock.systemUTC()), new SimpleMeterRegistry());
        }
    }

    /** The path and query of a URL as they go on the wire, undecoded: what is sealed. */
    public static String pathAndQuery(URI url) {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    }

    /** The {@value #BODY_DIGEST_HEADER} of a body. */
    public static String bodyDigest(byte[] body) {
        MessageDigest digest = sha256();
        digest.update(body);
        return bodyDigestOf(digest);
    }

    /** The {@value #BODY_DIGEST_HEADER} of what a digest has been given. */
    static String bodyDigestOf(MessageDigest digest) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest.digest());
    }

    /** Adds a buffer's readable bytes to a digest, leaving the buffer as it was. */
    static void update(MessageDigest digest, DataBuffer buffer) {
        try (DataBuffer.ByteBufferIterator bytes = buffer.readableByteBuffers()) {
            bytes.forEachRemaining(digest::update);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * What a seal covers of a call.
     *
     * @param idempotencyKey its {@code Idempotency-Key}; null without one
     * @param bodyDigest     its {@value #BODY_DIGEST_HEADER}; null for a call without a body
     */
    public record Call(String method, String pathAndQuery, String idempotencyKey, String bodyDigest) {

        private String sealed() {
            return String.join("\n", DOMAIN, method, pathAndQuery, idempotencyKey == null ? "" : idempotencyKey,
                    bodyDigest == null ? "" : bodyDigest);
        }
    }

    /** Why calls are refused, as counted. */
    public enum Refusal { NO_KEY, NO_SEAL, MALFORMED, OUT_OF_TIME, NOT_GENUINE }

    /** A call refused, and why in words (never the seal itself). */
    public record Problem(Refusal refusal, String detail) {
    }

    /** The sealing and checking of calls, with the keys of the configuration. */
    public static final class Seals {

        private final RequestSignatures signatures;
        private final long maxSkewSeconds;
        private final Clock clock;

        Seals(RequestSignatures signatures, Duration maxClockSkew, Clock clock) {
            this.signatures = signatures;
            this.maxSkewSeconds = maxClockSkew.toSeconds();
            this.clock = clock;
        }

        /** The {@value #HEADER} of a call about to be sent. */
        public String seal(Call call) {
            long second = clock.instant().getEpochSecond();
            return second + " " + signatures.seal(call.sealed(), secondBytes(second));
        }

        /** Why a call's seal (null: it has none) does not hold; empty if it holds. */
        public Optional<Problem> problem(Call call, String seal) {
            if (seal == null) {
                return Optional.of(new Problem(Refusal.NO_SEAL,
                        "The call carries no " + HEADER + " header: internal APIs answer the services only"));
            }
            int space = seal.indexOf(' ');
            String second = space < 0 ? seal : seal.substring(0, space);
            if (space < 0 || second.isEmpty() || second.length() > 12 || !second.chars().allMatch(Character::isDigit)) {
                return Optional.of(new Problem(Refusal.MALFORMED,
                        "The call's " + HEADER + " is not <epoch second> <key id>:<mac>"));
            }
            long sealedAt = Long.parseLong(second);
            long now = clock.instant().getEpochSecond();
            if (sealedAt < now - maxSkewSeconds || sealedAt > now + maxSkewSeconds) {
                return Optional.of(new Problem(Refusal.OUT_OF_TIME, "The call's " + HEADER + " was sealed more than "
                        + maxSkewSeconds + " s from this service's clock"));
            }
            return signatures.problem(HEADER, seal.substring(space + 1), call.sealed(), secondBytes(sealedAt))
                    .map(detail -> new Problem(Refusal.NOT_GENUINE, detail));
        }

        private static byte[] secondBytes(long second) {
            return Long.toString(second).getBytes(StandardCharsets.US_ASCII);
        }
    }
}
