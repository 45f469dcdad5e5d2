package io.qrvoucher.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import io.qrvoucher.broker.BrokerSecurity;
import io.qrvoucher.broker.TestBroker;

/** The health check reaches the cluster as the service does: with its login, on a cluster that demands one. */
class KafkaBrokerHealthIndicatorTest {

    @Test
    void isUpWithTheServicesLoginAndDownWithTheReasonWhenTheLoginIsRefused() {
        try (TestBroker broker = TestBroker.startSecured(1)) {
            String password = BrokerSecurity.randomPassword();
            broker.createUsers(Map.of("ingress-api", password));

            Health loggedIn = health(new KafkaConnection(broker.clientConfig("ingress-api", password)));
            Health refused = health(new KafkaConnection(broker.clientConfig("ingress-api", "wrong")));

            assertThat(loggedIn.getStatus()).isEqualTo(Status.UP);
            assertThat(loggedIn.getDetails()).containsEntry("brokers", 1);
            assertThat(refused.getStatus()).isEqualTo(Status.DOWN);
            assertThat(refused.getDetails().get("error").toString()).contains("SaslAuthenticationException");
        }
    }

    private static Health health(KafkaConnection connection) {
        KafkaBrokerHealthIndicator indicator = new KafkaBrokerHealthIndicator(connection);
        try {
            return indicator.health();
        } finally {
            indicator.destroy();
        }
    }
}
