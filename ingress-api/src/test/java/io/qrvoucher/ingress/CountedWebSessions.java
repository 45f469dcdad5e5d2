package io.qrvoucher.ingress;

import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import org.springframework.web.server.session.DefaultWebSessionManager;
import org.springframework.web.server.session.WebSessionManager;

import reactor.core.publisher.Mono;

/** How many times anything in the ingress asked for a web session (each exchange offers one, made only if read). */
public final class CountedWebSessions {

    private static final AtomicInteger ASKED = new AtomicInteger();

    private CountedWebSessions() {
    }

    static int asked() {
        return ASKED.get();
    }

    /** The ingress's session manager, counting the sessions read or made. */
    @Configuration(proxyBeanMethods = false)
    public static class Manager {

        @Bean(WebHttpHandlerBuilder.WEB_SESSION_MANAGER_BEAN_NAME)
        WebSessionManager webSessionManager() {
            DefaultWebSessionManager sessions = new DefaultWebSessionManager();
            return exchange -> Mono.defer(() -> {
                ASKED.incrementAndGet();
                return sessions.getSession(exchange);
            });
        }
    }
}
