package io.qrvoucher.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

class KafkaConnectionTest {

    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"ingress-api\" password=\"secret\";";
    private static final Map<String, String> SECURED = Map.of(
            "spring.kafka.bootstrap-servers", "kafka-1:9092,kafka-2:9092",
            "spring.kafka.security.protocol", "SASL_SSL",
            "spring.kafka.ssl.trust-store-type", "PEM",
            "spring.kafka.ssl.trust-store-location", "file:/etc/kafka-ca/ca.crt",
            "spring.kafka.properties.sasl.mechanism", "SCRAM-SHA-512",
            "spring.kafka.properties.sasl.jaas.config", JAAS);

    @Test
    void everyClientTakesTheClustersSecuritySettingsFromSpringKafka() {
        Map<String, Object> client = KafkaConnection.of(bind(SECURED), null).with(Map.of("acks", "all"));

        assertThat(client).containsEntry("bootstrap.servers", "kafka-1:9092,kafka-2:9092")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("ssl.truststore.type", "PEM")
                .containsEntry("ssl.truststore.location", "/etc/kafka-ca/ca.crt")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config", JAAS)
                .containsEntry("acks", "all");
    }

    @Test
    void aServicesOwnBootstrapServersWinOverSpringKafkasAndKeepTheSecuritySettings() {
        KafkaConnection connection = KafkaConnection.of(bind(SECURED), "localhost:19092");

        assertThat(connection.config()).containsEntry("bootstrap.servers", "localhost:19092")
                .containsEntry("security.protocol", "SASL_SSL");
        assertThat(KafkaConnection.of(bind(SECURED), " ").config()).containsEntry("bootstrap.servers", "kafka-1:9092,kafka-2:9092");
    }

    @Test
    void withoutSettingsItIsPlaintextToLocalhost() {
        assertThat(KafkaConnection.of(new KafkaProperties(), null).config())
                .isEqualTo(Map.of("bootstrap.servers", "localhost:9092"));
    }

    @Test
    void itsDescriptionLeavesTheLoginOut() {
        Map<String, String> withKeyPassword = new HashMap<>(SECURED);
        withKeyPassword.put("spring.kafka.ssl.trust-store-password", "store-secret");
        // OAuth logins: a client secret and a private key's passphrase, under names without "password".
        withKeyPassword.put("spring.kafka.properties[sasl.oauthbearer.client.credentials.client.secret]", "oauth-secret");
        withKeyPassword.put("spring.kafka.properties[sasl.oauthbearer.assertion.private.key.passphrase]", "phrase-secret");

        assertThat(KafkaConnection.of(bind(withKeyPassword), null).toString())
                .contains("security.protocol=SASL_SSL", "sasl.jaas.config=[hidden]", "ssl.truststore.password=[hidden]",
                        "sasl.oauthbearer.client.credentials.client.secret=[hidden]")
                .doesNotContain("oauth-secret", "phrase-secret", "store-secret");
    }

    @Test
    void anSslBundleIsRefusedSinceTheServicesOwnClientsCouldNotUseIt() {
        Map<String, String> withBundle = new HashMap<>(SECURED);
        withBundle.put("spring.kafka.ssl.bundle", "kafka");

        assertThatThrownBy(() -> KafkaConnection.of(bind(withBundle), null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("spring.kafka.ssl.bundle");
    }

    private static KafkaProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("spring.kafka", KafkaProperties.class);
    }
}
