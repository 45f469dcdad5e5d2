package io.qrvoucher.ingress;

import java.util.HashMap;
import java.util.Map;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The ingress's properties with their defaults, bound as Spring binds them, for tests that build its parts by hand. */
public final class TestIngressProperties {

    private TestIngressProperties() {
    }

    /** A broker that does not acknowledge fails a publish after a second, not the default five. */
    public static IngressProperties withBroker(String bootstrapServers) {
        return withBroker(bootstrapServers, Map.of());
    }

    /** @param more further properties, named as in configuration ({@code ingress.topics.idempotency}) */
    public static IngressProperties withBroker(String bootstrapServers, Map<String, String> more) {
        Map<String, String> properties = new HashMap<>(more);
        properties.put("ingress.bootstrap-servers", bootstrapServers);
        properties.put("ingress.limits.publish-timeout", "1s");
        properties.put("ingress.request-signing.keys.k1", RealPipeline.REQUEST_SIGNING_KEY);
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("ingress", IngressProperties.class);
    }
}
