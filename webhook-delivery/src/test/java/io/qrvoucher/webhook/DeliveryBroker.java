package io.qrvoucher.webhook;

import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistrar;

import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.schemas.Topics;

/**
 * A single-node KRaft broker with {@code voucher-events}, as beans of a test's context
 * ({@code @Import(DeliveryBroker.class)}): it starts before the service and stops after it. (Not a
 * {@code @Configuration}, so that the application's component scan never finds it.)
 */
public class DeliveryBroker {

    @Bean(destroyMethod = "close")
    TestBroker testBroker() {
        return TestBroker.start(3, Topics.VOUCHER_EVENTS);
    }

    @Bean
    DynamicPropertyRegistrar brokerAddress(TestBroker broker) {
        return registry -> registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }
}
