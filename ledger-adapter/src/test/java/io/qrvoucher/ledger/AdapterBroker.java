package io.qrvoucher.ledger;

import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistrar;

import io.qrvoucher.broker.TestBroker;

/**
 * A single-node KRaft broker with the adapter's topics (voucher-events for its reconciliation), as beans of a
 * test's context ({@code @Import(AdapterBroker.class)}): it starts before the adapter and stops after it.
 * (Not a {@code @Configuration}, so that the application's component scan never finds it.)
 *
 * <p>Each such test class is also {@code @DirtiesContext}: its context, broker included, closes when the class is
 * done. Left in Spring's cache, every context closed at the JVM's exit instead, one after another, while the test
 * database's own shutdown hook stopped PostgreSQL under their pools: the exit took over 30 seconds and surefire
 * killed the JVM (and the brokers of finished classes took CPU from the classes after them).
 */
public class AdapterBroker {

    @Bean(destroyMethod = "close")
    TestBroker testBroker() {
        return TestBroker.start(3, "ledger-commands", "ledger-results", "account-snapshots", "ledger-dead-letters",
                "voucher-events");
    }

    @Bean
    DynamicPropertyRegistrar brokerAddress(TestBroker broker) {
        return registry -> registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }
}
