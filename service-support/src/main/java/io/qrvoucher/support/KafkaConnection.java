package io.qrvoucher.support;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.CommonClientConfigs;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.util.StringUtils;

/**
 * How every Kafka client of a service reaches the cluster: the bootstrap servers and the cluster's
 * security settings (TLS, SASL), as client properties. They come from Spring Boot's {@code spring.kafka.*}
 * — {@code bootstrap-servers}, {@code client-id}, {@code security.protocol}, {@code ssl.*} and the free
 * {@code properties.*} ({@code sasl.mechanism}, {@code sasl.jaas.config}) — the same settings spring-kafka's
 * clients in the ledger adapter take, so a service's producers, consumers, admin clients and Kafka Streams
 * all connect one way. Each client adds only its own settings ({@link #with}).
 *
 * @param config the client properties; never holds a client's own settings
 */
public record KafkaConnection(Map<String, Object> config) {

    public KafkaConnection {
        config = Map.copyOf(config);
    }

    /**
     * The connection {@code spring.kafka.*} describes, as Boot builds the part its clients share.
     *
     * @param bootstrapServers a service's own bootstrap setting ({@code ingress.bootstrap-servers},
     *                         {@code voucher.bootstrap-servers}), which wins over {@code spring.kafka.bootstrap-servers}
     *                         when set; null or blank when the service has none
     * @throws IllegalStateException when {@code spring.kafka.ssl.bundle} is set: only spring-kafka's own
     *                               clients can use an SSL bundle, the others would connect without it
     */
    public static KafkaConnection of(KafkaProperties kafka, String bootstrapServers) {
        if (StringUtils.hasText(kafka.getSsl().getBundle())) {
            throw new IllegalStateException("spring.kafka.ssl.bundle is not supported: not every Kafka client of the "
                    + "service can use it. Set spring.kafka.ssl.trust-store-location (and key-store-*) instead.");
        }
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, StringUtils.hasText(bootstrapServers)
                ? bootstrapServers : String.join(",", kafka.getBootstrapServers()));
        if (kafka.getClientId() != null) {
            config.put(CommonClientConfigs.CLIENT_ID_CONFIG, kafka.getClientId());
        }
        config.putAll(kafka.getSsl().buildProperties());
        config.putAll(kafka.getSecurity().buildProperties());
        config.putAll(kafka.getProperties());
        return new KafkaConnection(config);
    }

    /** A connection without security settings, to the given servers. */
    public static KafkaConnection plaintext(String bootstrapServers) {
        return new KafkaConnection(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** The settings without their secrets (passwords, passphrases, client secrets, the SASL login), which must not reach a log. */
    @Override
    public String toString() {
        return "KafkaConnection" + new TreeMap<>(config).entrySet().stream()
                .map(setting -> setting.getKey() + "=" + (isSecret(setting.getKey()) ? "[hidden]" : setting.getValue()))
                .toList();
    }

    private static boolean isSecret(String name) {
        return name.contains("password") || name.contains("passphrase") || name.contains("secret")
                || name.contains("jaas") || name.endsWith(".key");
    }

    /** The configuration of one client: this connection, then the client's own settings. */
    public Map<String, Object> with(Map<String, ?> clientSettings) {
        Map<String, Object> client = new HashMap<>(config);
        client.putAll(clientSettings);
        return client;
    }
}
