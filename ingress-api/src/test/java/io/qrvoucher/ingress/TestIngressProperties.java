package io.qrvoucher.ingress;

import java.util.Map;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The ingress's properties with their defaults, bound as Spring binds them, for tests that build its parts by hand. */
public final class TestIngressProperties {

    private TestIngressProperties() {
    }

    /** A broker that does not acknowledge fails a publish after a second, not the default five. */
    public static IngressProperties withBroker(String bootstrapServers) {
        return new Binder(new MapConfigurationPropertySource(Map.of(
                "ingress.bootstrap-servers", bootstrapServers,
                "ingress.limits.publish-timeout", "1s",
                "ingress.request-signing.keys.k1", RealPipeline.REQUEST_SIGNING_KEY)))
                .bindOrCreate("ingress", IngressProperties.class);
    }
}
