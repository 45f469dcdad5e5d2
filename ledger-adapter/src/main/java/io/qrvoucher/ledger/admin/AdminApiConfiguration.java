package io.qrvoucher.ledger.admin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UserDetailsRepositoryReactiveAuthenticationManager;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;

import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.AccountOpening;
import io.qrvoucher.support.ProblemResponses;
import io.qrvoucher.support.Problems;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The operators' admin API, {@code /admin/**}, on the management port alone. Boot builds this
 * configuration into the management server's own context (it is listed in
 * {@code META-INF/spring/…ManagementContextConfiguration.imports}), so the internal API's port has no route
 * to it; the application's component scan leaves this package out. With the management port set equal to
 * the API's there is no such context, and no admin API.
 * <p>
 * On that port every request but the actuator's needs HTTP Basic with the operator's credentials
 * ({@code ledger.admin.username} and {@code password}), whatever its path: no spelling of a path can reach
 * the admin API around the check. There is no default password: without one every such request is refused.
 * No session is kept, so each request carries its credentials. Requests without them, or with wrong ones,
 * are answered 401 with problem details.
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
// The one-machine run starts every service from one classpath: only the ledger adapter's management server has it.
@ConditionalOnBean(AccountOpening.class)
@EnableWebFluxSecurity
@Import({AccountAdminController.class, AdminProblems.class})
class AdminApiConfiguration {

    private static final Logger log = LoggerFactory.getLogger(AdminApiConfiguration.class);
    private static final HttpHeaders BASIC_CHALLENGE = ProblemResponses.header(HttpHeaders.WWW_AUTHENTICATE,
            "Basic realm=\"ledger-admin\"");

    @Bean
    SecurityWebFilterChain adminApiSecurity(ServerHttpSecurity http, LedgerProperties properties, JsonMapper json) {
        ServerAuthenticationEntryPoint unauthenticated = (exchange, error) -> {
            return ProblemResponses.write(exchange, json, Problems.problem(HttpStatus.UNAUTHORIZED, "UNAUTHENTICATED",
                    "The admin API needs the operator's credentials (HTTP Basic)"), BASIC_CHALLENGE);
        };
        return http
                // Probes and Prometheus need no credentials; management.endpoints.web.base-path is the default.
                .authorizeExchange(exchanges -> exchanges.pathMatchers("/actuator/**").permitAll()
                        .anyExchange().authenticated())
                .httpBasic(basic -> basic.authenticationManager(operator(properties.admin()))
                        .authenticationEntryPoint(unauthenticated))
                .exceptionHandling(handling -> handling.authenticationEntryPoint(unauthenticated))
                // Nothing here is for a browser: no form, no session, no cookie. A cross-site form cannot send the
                // JSON an opening takes (415) nor a closing's DELETE, and the API answers no CORS preflight.
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
                .build();
    }

    /**
     * The one operator of the configuration. A password is checked against a BCrypt hash of the configured one:
     * in constant time, and each guess costs what BCrypt costs.
     */
    private static ReactiveAuthenticationManager operator(LedgerProperties.Admin admin) {
        if (!admin.hasPassword()) {
            log.info("The admin API on the management port refuses every request: ledger.admin.password is not set");
            return authentication -> Mono.error(new BadCredentialsException("No operator password is configured"));
        }
        PasswordEncoder passwords = PasswordEncoderFactories.createDelegatingPasswordEncoder();
        UserDetailsRepositoryReactiveAuthenticationManager operator = new UserDetailsRepositoryReactiveAuthenticationManager(
                new MapReactiveUserDetailsService(User.withUsername(admin.username())
                        .password(passwords.encode(admin.password())).roles("OPERATOR").build()));
        operator.setPasswordEncoder(passwords);
        return operator;
    }
}
