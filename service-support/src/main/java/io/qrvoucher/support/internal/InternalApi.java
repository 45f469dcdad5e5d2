package io.qrvoucher.support.internal;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.buffer.DataBuffer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrvoucher.support.RequestSignatures;

/**
 * The seal the ingress puts on its calls to the other services' internal APIs ({@code /internal/**}): an
 * HMAC-SHA256, with a key only the services hold, of the call's method, its path and query as sent, its
 * {@code Idempotency-Key}, the SHA-256 of its body ({@value #BODY_DIGEST_HEADER}) and the second it was sent, in the
 * header {@value #HEADER} as {@code <epoch second> <key id>:<base64url mac>}. Whoever reaches an internal port
 * without the key (another workload on the network, a scraper, a browser sent there) is refused; a seal seen on the
 * wire is good for that very call only, and only for {@code max-clock-skew} either side of its second. Keys are
 * rotated like the request seal's: add the new key everywhere, seal with it ({@code internal-api.key-id}), then drop
 * the old one.
 *
 * <p>The key is shared: it proves that one of the services holding it made the call, not which. Where the network
 * between the services is not trusted, run their traffic under mutual TLS (docs/security.md).
 *
 * @param keyId         the key this service seals its calls with (the ingress)
 * @param keys          every key a call may be sealed with, by id, base64, at least 256 bits each; none: this
 *                      service can neither call an internal API nor be called on its own
 * @param maxClockSkew  how far from the receiver's clock a seal's second may be
 */
@ConfigurationProperties("internal-api")
public record InternalApi(@DefaultValue("k1") String keyId, Map<String, String> keys,
                          @DefaultValue("PT1M") Duration maxClockSkew) {

    public static final String HEADER = "qr-internal-seal";
    /** The SHA-256 of a call's body, base64url: sealed, and checked against the body as it arrives. */
    public static final String BODY_DIGEST_HEADER = "qr-body-sha256";
    /** The header of a call's idempotency key, sealed with the call. */
    public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
    /** The first path segment of every internal API, on every service. */
    public static final String SEGMENT = "internal";
    /** Kept apart from every other MAC made with these primitives (the request seal on Kafka). */
    private static final String DOMAIN = "qr-internal-seal/v1";
    private static final String LABEL = "internal API";

    public InternalApi {
        keys = keys == null ? Map.of() : Map.copyOf(keys);
    }

    /** One key, {@code k1}, sealed with, and the default clock skew. */
    public static InternalApi withKey(String key) {
        return withKey("k1", key);
    }

    /** One key, of this id, sealed with, and the default clock skew. */
    public static InternalApi withKey(String keyId, String key) {
        return new InternalApi(keyId, Map.of(keyId, key), Duration.ofMinutes(1));
    }

    /** Whether a key is configured: without one nothing is sealed and every sealed path is refused. */
    public boolean configured() {
        return keys.values().stream().anyMatch(key -> key != null && !key.isBlank());
    }

    /** Seals calls with {@code key-id} (the key must be configured) and checks seals with every key. */
    public Seals seals(Clock clock) {
        if (!configured()) {
            throw new IllegalStateException("No internal API key is configured (internal-api.keys, INTERNAL_API_KEY): "
                    + "the ingress seals its calls to the other services' internal APIs with it (docs/security.md)");
        }
        return new Seals(new RequestSignatures(LABEL, keyId, keys), maxClockSkew, clock);
    }

    /** Seals a WebClient's calls with {@code key-id}, at the second of the wall clock the receiver checks it against. */
    public SealedCalls sealedCalls(MeterRegistry meters) {
        return new SealedCalls(seals(Clock.systemUTC()), meters);
    }

    /** Seals a test's or a tool's calls. */
    public SealedCalls sealedCalls() {
        return sealedCalls(new SimpleMeterRegistry());
    }

    /** Checks seals with every configured key (a service that is called, never calling). */
    public Seals verifier(Clock clock) {
        return new Seals(new RequestSignatures(LABEL, null, keys), maxClockSkew, clock);
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
