package io.qrvoucher.ingress.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import javax.crypto.spec.SecretKeySpec;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.core.converter.ClaimConversionService;
import org.springframework.security.oauth2.core.oidc.IdTokenClaimNames;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtAudienceValidator;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.util.StringUtils;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.api.ApiException;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.ProblemResponses;
import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/**
 * Every {@code /api} call needs a bearer JWT whose signature, expiry, issuer and audience check out;
 * its {@code sub} is the customer. The embedded demo run checks tokens signed with its demo key; a real
 * deployment checks the bank issuer's keys from {@code ingress.security.jwk-set-uri}, and refuses to
 * start with both. Failures are answered with problem details like every other refusal. Every answer,
 * page or API, carries a strict Content-Security-Policy, {@code X-Content-Type-Options: nosniff} and
 * {@code Referrer-Policy: no-referrer}.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
public class SecurityConfiguration {

    /** How far the identity provider's clock and ours may be apart, for a token's times (Spring Security's default). */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    /**
     * What a browser may load for any page of this origin: its own scripts only (no inline script, no
     * eval), so that text from the API that slipped into markup still could not run; the QR pictures
     * the app shows are blob: URLs, Swagger UI's icons data: URLs. No plugins, no base URL, no framing.
     */
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; object-src 'none'; "
            + "base-uri 'none'; frame-ancestors 'none'; form-action 'self'; img-src 'self' data: blob:";

    /**
     * The browser's security headers on every answer, written first of all so that the refusals written before the
     * security filters carry them too (503 OVERLOADED, an upload's 413, a 415, the firewall's 400): Spring Security's
     * writers reached only the answers that went through its filter chain. {@code Strict-Transport-Security} is sent
     * over plain http as well: TLS ends in front of the ingress (a load balancer, an Ingress), so Spring's writer, which
     * looks at the request's scheme, sent it on none; browsers take it only from an answer that came over https
     * (RFC 6797), so over plain http (the one-machine run) it changes nothing.
     */
    @Bean
    WebFilter securityHeaders() {
        return new SecurityHeaders();
    }

    private static final class SecurityHeaders implements WebFilter, Ordered {

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            HttpHeaders headers = exchange.getResponse().getHeaders();
            headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            headers.set("X-Content-Type-Options", "nosniff");
            headers.set("X-Frame-Options", "DENY");
            headers.set("Referrer-Policy", "no-referrer");
            headers.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
            return chain.filter(exchange);
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }
    }

    @Bean
    SecurityWebFilterChain apiSecurity(ServerHttpSecurity http, ObjectMapper json) {
        ServerAuthenticationEntryPoint invalidToken = (exchange, error) -> problem(exchange, json,
                HttpStatus.UNAUTHORIZED, "UNAUTHENTICATED", "A valid bearer token is required: " + error.getMessage());
        return http
                // Written on every answer by securityHeaders() above instead; Spring's own writers add Cache-Control.
                .headers(headers -> headers
                        .contentTypeOptions(ServerHttpSecurity.HeaderSpec.ContentTypeOptionsSpec::disable)
                        .frameOptions(ServerHttpSecurity.HeaderSpec.FrameOptionsSpec::disable)
                        .hsts(ServerHttpSecurity.HeaderSpec.HstsSpec::disable))
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                // Stateless: every call carries its token. Kept in a web session, the security context and the
                // request cache had each request make one (a hop to another thread for its random id, and back).
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .authorizeExchange(exchanges -> exchanges
                        .pathMatchers("/api/**").authenticated()
                        .anyExchange().permitAll())
                .oauth2ResourceServer(server -> server
                        .jwt(jwt -> { })
                        .authenticationEntryPoint(invalidToken)
                        // A token that could not be checked (the identity provider's keys out of reach) is not the
                        // client's fault: 503 with Retry-After, where Spring Security would rethrow it as a 500.
                        .authenticationFailureHandler((filterExchange, failure) -> {
                            if (failure.getCause() instanceof IdentityProviderKeys.KeysNotObtained) {
                                return unchecked(filterExchange.getExchange(), json);
                            }
                            // Any other failure to check a token is this server's: a 500, as Spring Security has it.
                            return failure instanceof AuthenticationServiceException ? Mono.error(failure)
                                    : invalidToken.commence(filterExchange.getExchange(), failure);
                        })
                        .accessDeniedHandler((exchange, error) -> problem(exchange, json, HttpStatus.FORBIDDEN,
                                "FORBIDDEN", error.getMessage())))
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((exchange, error) -> problem(exchange, json, HttpStatus.UNAUTHORIZED,
                                "UNAUTHENTICATED", "A valid bearer token is required")))
                .build();
    }

    /**
     * A request Spring Security's firewall refuses before any filter (an encoded slash or a path parameter in the
     * path): a problem like every other refusal, not a bare 400.
     */
    @Bean
    ServerExchangeRejectedHandler malformedRequests(ObjectMapper json) {
        return (exchange, rejected) -> {
            ApiException malformed = ApiException.malformed();
            return ProblemResponses.write(exchange, json, malformed.getBody(), malformed.getHeaders());
        };
    }

    @Bean
    ReactiveJwtDecoder jwtDecoder(IngressProperties properties, Clock clock) {
        IngressProperties.Security security = properties.security();
        boolean demo = StringUtils.hasText(security.demoTokenSecret());
        boolean bank = StringUtils.hasText(security.jwkSetUri());
        if (demo && bank) {
            // Either would be believed: whoever holds the demo key could sign in as any of the bank's customers.
            throw new IllegalStateException("Both ingress.security.demo-token-secret and ingress.security.jwk-set-uri "
                    + "are set: a real deployment sets only jwk-set-uri; the demo key is for the embedded demo run alone");
        }
        NimbusReactiveJwtDecoder decoder;
        if (demo) {
            decoder = NimbusReactiveJwtDecoder
                    .withSecretKey(new SecretKeySpec(demoKey(properties), "HmacSHA256"))
                    .macAlgorithm(MacAlgorithm.HS256)
                    .build();
        } else if (bank) {
            decoder = NimbusReactiveJwtDecoder.withJwkSource(
                    new IdentityProviderKeys(WebClient.create(), security.jwkSetUri(), clock)).build();
        } else {
            throw new IllegalStateException("Set ingress.security.jwk-set-uri (or, for the demo run only, "
                    + "ingress.security.demo-token-secret)");
        }
        decoder.setJwtValidator(JwtValidators.createDefaultWithValidators(expiring(),
                new JwtIssuerValidator(security.issuer()), new JwtAudienceValidator(security.audience()),
                new JwtClaimValidator<>(JwtClaimNames.SUB, SecurityConfiguration::isCustomerId),
                token -> signInTimeIsNoneOrPast(token, clock)));
        // Keys the provider could not give are reported as an IllegalStateException (Spring Security's decoders raise
        // no other after the token is read), which passes every handler of Spring Security: as a JwtException it
        // reaches the failure handler above, inside an AuthenticationServiceException.
        return token -> decoder.decode(token).onErrorMap(IllegalStateException.class, IdentityProviderKeys.KeysNotObtained::new);
    }

    private static Mono<Void> unchecked(ServerWebExchange exchange, ObjectMapper json) {
        ApiException refusal = ApiException.temporarilyUnavailable("The bearer token could not be checked now (the "
                + "identity provider did not answer); nothing happened. Retry it shortly.");
        return ProblemResponses.write(exchange, json, refusal.getBody(), refusal.getHeaders());
    }

    /**
     * Within its times, and with an expiry: Spring Security's default takes a token without one, which would then
     * never expire (a long-lived token of a misconfigured client at the identity provider).
     */
    private static JwtTimestampValidator expiring() {
        JwtTimestampValidator timestamps = new JwtTimestampValidator(CLOCK_SKEW);
        timestamps.setAllowEmptyExpiryClaim(false);
        return timestamps;
    }

    /**
     * When the customer signed in, where a token says: read as a time when a sign-in must be fresh. One that is no time
     * (a word, a list) failed there, a server error; one still to come (an identity provider's clock or bug) counted
     * as fresh for ever. Allowed the clocks' skew that the token's own times are.
     */
    private static OAuth2TokenValidatorResult signInTimeIsNoneOrPast(Jwt token, Clock clock) {
        Object authTime = token.getClaim(IdTokenClaimNames.AUTH_TIME);
        try {
            if (authTime == null || !ClaimConversionService.getSharedInstance().convert(authTime, Instant.class)
                    .isAfter(clock.instant().plus(CLOCK_SKEW))) {
                return OAuth2TokenValidatorResult.success();
            }
        } catch (RuntimeException notATime) {
            // refused below
        }
        return OAuth2TokenValidatorResult.failure(new OAuth2Error(OAuth2ErrorCodes.INVALID_TOKEN,
                "The auth_time claim is not a time past", null));
    }

    /** A subject is the customer's id everywhere (keys, stores, logs): {@link VoucherRules#isCustomerId}. */
    private static boolean isCustomerId(Object subject) {
        return subject instanceof String id && VoucherRules.isCustomerId(id);
    }

    public static byte[] demoKey(IngressProperties properties) {
        return Base64.getDecoder().decode(properties.security().demoTokenSecret());
    }

    private static Mono<Void> problem(ServerWebExchange exchange, ObjectMapper json, HttpStatus status, String code,
                                      String detail) {
        ApiException refusal = new ApiException(status, code, detail);
        if (status == HttpStatus.UNAUTHORIZED) {
            refusal.getHeaders().set("WWW-Authenticate", "Bearer");
        }
        return ProblemResponses.write(exchange, json, refusal.getBody(), refusal.getHeaders());
    }
}
