package io.qrvoucher.support.internal;

import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a service that serves an internal API imports: the guard of its {@code /internal/**} paths, and the health
 * of that API ({@code internalApi}, in the readiness group), which is out of service without a key.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(InternalApi.class)
public class InternalApiServer {

    private static final Logger log = LoggerFactory.getLogger(InternalApiServer.class);

    @Bean
    InternalApiGuard internalApiGuard(InternalApi internalApi, JsonMapper json, MeterRegistry meters) {
        if (!internalApi.configured()) {
            log.warn("No internal API key is configured (internal-api.keys): every call to /internal/** is refused "
                    + "and the service is not ready");
            return new InternalApiGuard(null, json, meters);
        }
        return new InternalApiGuard(internalApi.verifier(Clock.systemUTC()), json, meters);
    }

    /**
     * A service whose internal API refuses every call cannot serve the ingress's reads: it must not count as ready,
     * so that a rollout missing the key stops at its first pod instead of answering 503 to customers' reads.
     */
    @Bean
    HealthIndicator internalApiHealthIndicator(InternalApi internalApi) {
        Health health = internalApi.configured()
                ? Health.up().withDetail("keys", internalApi.keyIds()).build()
                : Health.outOfService().withDetail("reason",
                        "No internal-api.keys: every call to /internal/** is refused").build();
        return () -> health;
    }
}
