package io.qrvoucher.ingress.security;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import org.springframework.web.reactive.function.client.WebClient;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The identity provider's signing keys (its JWK set at {@code ingress.security.jwk-set-uri}) for the tokens' signatures.
 * The set is fetched again every {@link #REFRESH} (a key the provider withdrew stops being believed), and when a token
 * names a key the set lacks (the provider rotated one in), but not sooner than {@link #MIN_REFETCH} after the fetch it
 * replaces: Spring Security's source fetched the set for every token naming a key it did not hold, so that made-up
 * tokens, without any credential, each had the ingress call the provider and wait for it. Requests that need a fetch
 * at once share it; a fetch that fails is tried again by a request at least {@link #RETRY_AFTER_FAILURE} later.
 */
final class IdentityProviderKeys implements Function<SignedJWT, Flux<JWK>> {

    static final Duration REFRESH = Duration.ofMinutes(5);
    static final Duration MIN_REFETCH = Duration.ofSeconds(30);
    static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(1);
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);

    private final Mono<JWKSet> fetch;
    private final Clock clock;
    private final AtomicReference<Fetch> latest = new AtomicReference<>();

    /** A fetch of the set, shared by whoever needs it until it is refreshed, and when it was made. */
    private record Fetch(Mono<JWKSet> keys, Instant madeAt) {
    }

    IdentityProviderKeys(WebClient web, String jwkSetUri, Clock clock) {
        this.fetch = web.get().uri(jwkSetUri).retrieve().bodyToMono(String.class).timeout(FETCH_TIMEOUT)
                .map(IdentityProviderKeys::parse);
        this.clock = clock;
    }

    @Override
    public Flux<JWK> apply(SignedJWT token) {
        JWKMatcher matcher = JWKMatcher.forJWSHeader(token.getHeader());
        if (matcher == null) {
            return Flux.empty(); // an algorithm no key of a set is for: refused without a fetch
        }
        JWKSelector selector = new JWKSelector(matcher);
        Fetch held = current(null);
        return held.keys().flatMapMany(keys -> {
            List<JWK> found = selector.select(keys);
            if (!found.isEmpty()) {
                return Flux.fromIterable(found);
            }
            Fetch next = current(held);
            return next == held ? Flux.empty() : next.keys().flatMapIterable(selector::select);
        });
    }

    /** The latest fetch; a new one when there is none yet, or when {@code missing} is the latest and old enough. */
    private Fetch current(Fetch missing) {
        return latest.updateAndGet(now -> now == null
                || (now == missing && !now.madeAt().plus(MIN_REFETCH).isAfter(clock.instant()))
                ? new Fetch(fetch.cache(keys -> REFRESH, failure -> RETRY_AFTER_FAILURE, () -> RETRY_AFTER_FAILURE),
                        clock.instant())
                : now);
    }

    private static JWKSet parse(String body) {
        try {
            return JWKSet.parse(body);
        } catch (ParseException e) {
            throw new IllegalStateException("The identity provider's key set does not read as a JWK set", e);
        }
    }
}
