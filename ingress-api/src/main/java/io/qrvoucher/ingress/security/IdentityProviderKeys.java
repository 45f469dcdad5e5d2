package io.qrvoucher.ingress.security;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.web.reactive.function.client.WebClient;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The identity provider's signing keys (its JWK set at {@code ingress.security.jwk-set-uri}) for the tokens' RS256
 * signatures. The last set fetched is kept and used while a newer one is fetched, or cannot be:
 * <ul>
 *   <li>a set older than {@link #REFRESH} is fetched again beside the token that finds it so (a key the provider
 *       withdrew stops being believed), and a token naming a key the set lacks waits for a fetch (the provider
 *       rotated one in); either at most once every {@link #MIN_REFETCH}. Spring Security's source fetched the set for
 *       every token naming a key it did not hold, so that made-up tokens, without any credential, each had the ingress
 *       call the provider and wait for it;</li>
 *   <li>without a set, or with one older than {@link #MAX_AGE} (the provider out of reach that long: a key withdrawn
 *       meanwhile would go on being believed), a token waits for a fetch, tried at most once every
 *       {@link #RETRY_WITHOUT_KEYS}, and fails if there is none.</li>
 * </ul>
 * A fetch under way is shared by every token that waits for one.
 */
final class IdentityProviderKeys implements Function<SignedJWT, Flux<JWK>> {

    static final Duration REFRESH = Duration.ofMinutes(5);
    static final Duration MIN_REFETCH = Duration.ofSeconds(30);
    static final Duration MAX_AGE = Duration.ofHours(1);
    static final Duration RETRY_WITHOUT_KEYS = Duration.ofSeconds(1);
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(IdentityProviderKeys.class);

    private final Mono<JWKSet> fetch;
    private final Clock clock;
    private final AtomicReference<Keys> latest = new AtomicReference<>(new Keys(null, Instant.MIN, null, Instant.MIN));

    /**
     * The last set fetched (null before the first) and when, the fetch under way (null if none), and when the last
     * fetch began.
     */
    private record Keys(JWKSet set, Instant fetchedAt, Mono<JWKSet> underWay, Instant lastTriedAt) {
    }

    IdentityProviderKeys(WebClient web, String jwkSetUri, Clock clock) {
        this.fetch = web.get().uri(jwkSetUri).retrieve().bodyToMono(String.class)
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("The identity provider sent no key set")))
                .timeout(FETCH_TIMEOUT)
                .map(IdentityProviderKeys::parse);
        this.clock = clock;
    }

    @Override
    public Flux<JWK> apply(SignedJWT token) {
        if (!JWSAlgorithm.RS256.equals(token.getHeader().getAlgorithm())) {
            return Flux.empty(); // refused without a look at the keys, as Spring Security's own source did
        }
        JWKSelector selector = new JWKSelector(JWKMatcher.forJWSHeader(token.getHeader()));
        Instant now = clock.instant();
        Keys keys = latest.get();
        if (keys.set() == null || !keys.fetchedAt().plus(MAX_AGE).isAfter(now)) {
            return fetched(RETRY_WITHOUT_KEYS, keys.set())
                    .switchIfEmpty(Mono.error(() -> new IllegalStateException("The identity provider's keys could "
                            + "not be obtained: tried less than " + RETRY_WITHOUT_KEYS + " ago")))
                    .flatMapIterable(selector::select);
        }
        var found = selector.select(keys.set());
        if (!found.isEmpty()) {
            if (!keys.fetchedAt().plus(REFRESH).isAfter(now)) {
                fetched(MIN_REFETCH, keys.set()); // under way whether or not anyone waits for it; this token need not
            }
            return Flux.fromIterable(found);
        }
        return fetched(MIN_REFETCH, keys.set()).onErrorResume(failure -> Mono.empty()).flatMapIterable(selector::select);
    }

    /**
     * A set newer than {@code seen} if one came meanwhile; else the fetch under way; else a new one, begun if the last
     * began at least {@code since} ago; else nothing.
     */
    private Mono<JWKSet> fetched(Duration since, JWKSet seen) {
        while (true) {
            Keys keys = latest.get();
            if (keys.set() != seen && keys.set() != null) {
                return Mono.just(keys.set()); // a fetch ended between the caller's look and this one
            }
            if (keys.underWay() != null) {
                return keys.underWay();
            }
            Instant now = clock.instant();
            if (keys.lastTriedAt().plus(since).isAfter(now)) {
                return Mono.empty();
            }
            Mono<JWKSet> underWay = fetch
                    .doOnNext(set -> latest.updateAndGet(was -> new Keys(set, clock.instant(), null, was.lastTriedAt())))
                    .doOnError(failure -> {
                        log.warn("The identity provider's keys could not be fetched (the last ones, if any, are kept): {}",
                                failure.toString());
                        latest.updateAndGet(was -> new Keys(was.set(), was.fetchedAt(), null, was.lastTriedAt()));
                    })
                    .cache();
            if (latest.compareAndSet(keys, new Keys(keys.set(), keys.fetchedAt(), underWay, now))) {
                underWay.subscribe(fresh -> { }, failure -> { }); // runs to its end whoever stops waiting for it
                return underWay;
            }
        }
    }

    /** The keys could not be had: no client's fault, answered 503 (a JwtException, so that Spring Security hands it on). */
    static final class KeysNotObtained extends JwtException {
        KeysNotObtained(Throwable cause) {
            super("The identity provider's keys could not be obtained", cause);
        }
    }

    private static JWKSet parse(String body) {
        try {
            return JWKSet.parse(body);
        } catch (ParseException e) {
            throw new IllegalStateException("The identity provider's key set does not read as a JWK set", e);
        }
    }
}
