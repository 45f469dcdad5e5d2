package io.qrvoucher.support.internal;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import io.qrvoucher.support.RequestSignatures;

/**
 * The seal one service puts on its calls to another's internal API ({@code /internal/**}): an HMAC-SHA256,
 * with a key only the services hold, of the request's method, its path and query as sent, and the second it
 * was sent, in the header {@value #HEADER} as {@code <epoch second> <key id>:<base64url mac>}. Whoever reaches
 * an internal port without the key (another workload on the network, a scraper, a browser sent there) is
 * refused; a seal seen on the wire is good for the same method and path, and only for {@code max-clock-skew}
 * either side of its second. Keys are rotated like the request seal's: add the new key everywhere, sign with
 * it ({@code internal-api.key-id}), then drop the old one.
 *
 * <p>Bodies are not sealed (the only internal call with one is a webhook registration): the seal answers who
 * may call, not what crosses a network nobody should be able to write to; where that network is not trusted,
 * run the services' traffic under mutual TLS (docs/security.md).
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
    /** The paths the seal guards, on every service. */
    public static final String PATHS = "/internal/";

    public InternalApi {
        keys = keys == null ? Map.of() : Map.copyOf(keys);
    }

    /** One key, {@code k1}, sealed with, and the default clock skew. */
    public static InternalApi withKey(String key) {
        return new InternalApi("k1", Map.of("k1", key), Duration.ofMinutes(1));
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
        return new Seals(new RequestSignatures(keyId, keys), maxClockSkew, clock);
    }

    /** Seals a WebClient's calls with {@code key-id}, at the second of the wall clock the receiver checks it against. */
    public SealedCalls sealedCalls() {
        return new SealedCalls(seals(Clock.systemUTC()));
    }

    /** Checks seals with every configured key (a service that is called, never calling). */
    public Seals verifier(Clock clock) {
        return new Seals(new RequestSignatures(null, keys), maxClockSkew, clock);
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

        /** The {@value #HEADER} of a call about to be sent: {@code pathAndQuery} exactly as it goes on the wire. */
        public String seal(String method, String pathAndQuery) {
            long second = clock.instant().getEpochSecond();
            return second + " " + signatures.seal(sealed(method, pathAndQuery), secondBytes(second));
        }

        /** Why a call's seal does not hold (null: it has none); empty if it holds. */
        public Optional<String> problem(String method, String pathAndQuery, String seal) {
            if (seal == null) {
                return Optional.of("The call carries no " + HEADER + " header: internal APIs answer the services only");
            }
            int space = seal.indexOf(' ');
            long second;
            try {
                second = Long.parseLong(space < 0 ? seal : seal.substring(0, space));
            } catch (NumberFormatException e) {
                return Optional.of("The call's " + HEADER + " does not start with the second it was sealed");
            }
            if (space < 0) {
                return Optional.of("The call's " + HEADER + " has no seal after its second");
            }
            if (Math.abs(clock.instant().getEpochSecond() - second) > maxSkewSeconds) {
                return Optional.of("The call's " + HEADER + " was sealed at a second more than " + maxSkewSeconds
                        + " s from this service's clock");
            }
            return signatures.problem(HEADER, seal.substring(space + 1), sealed(method, pathAndQuery),
                    secondBytes(second));
        }

        private static String sealed(String method, String pathAndQuery) {
            return method + " " + pathAndQuery;
        }

        private static byte[] secondBytes(long second) {
            return Long.toString(second).getBytes(StandardCharsets.US_ASCII);
        }
    }
}
