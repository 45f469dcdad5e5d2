package io.qrvoucher.support.internal;

import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

/** What a service that serves an internal API imports: the guard of its {@code /internal/**} paths. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(InternalApi.class)
public class InternalApiServer {

    private static final Logger log = LoggerFactory.getLogger(InternalApiServer.class);

    @Bean
    InternalApiGuard internalApiGuard(InternalApi internalApi, JsonMapper json, MeterRegistry meters) {
        if (!internalApi.configured()) {
            log.warn("No internal API key is configured (internal-api.keys): every call to /internal/** is refused");
            return new InternalApiGuard(null, json, meters);
        }
        return new InternalApiGuard(internalApi.verifier(Clock.systemUTC()), json, meters);
    }
}
