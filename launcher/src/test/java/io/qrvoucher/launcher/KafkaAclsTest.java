package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

import io.qrvoucher.avro.CancelVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.broker.BrokerSecurity;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.launcher.KafkaAcls.Service;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;

/**
 * The ACLs of {@link KafkaAcls} on a real broker that authenticates every client and authorizes it by
 * them: each service writes and reads only its own topics, whatever it is configured to do.
 */
class KafkaAclsTest {

    /** Who writes each topic, as docs/architecture.md says; nobody writes customer-settings any more. */
    private static final Map<String, Service> WRITER = Map.ofEntries(
            Map.entry("voucher-requests", Service.INGRESS),
            Map.entry("settings-changes", Service.INGRESS),
            Map.entry("ingress-idempotency", Service.INGRESS),
            Map.entry("customer-attempts", Service.INGRESS),
            Map.entry("ledger-commands", Service.VOUCHER_STREAMS),
            Map.entry("voucher-events", Service.VOUCHER_STREAMS),
            Map.entry("customer-vouchers", Service.VOUCHER_STREAMS),
            Map.entry("voucher-dead-letters", Service.VOUCHER_STREAMS),
            Map.entry("ledger-results", Service.LEDGER_ADAPTER),
            Map.entry("account-snapshots", Service.LEDGER_ADAPTER),
            Map.entry("ledger-dead-letters", Service.LEDGER_ADAPTER));
    /** Who reads each topic; account-snapshots and the dead letters are for downstream systems and operators. */
    private static final Map<String, Set<Service>> READERS = Map.of(
            "voucher-requests", Set.of(Service.VOUCHER_STREAMS),
            "ledger-results", Set.of(Service.VOUCHER_STREAMS),
            "settings-changes", Set.of(Service.VOUCHER_STREAMS),
            "customer-settings", Set.of(Service.VOUCHER_STREAMS),
            "ingress-idempotency", Set.of(Service.VOUCHER_STREAMS),
            "customer-attempts", Set.of(Service.VOUCHER_STREAMS),
            "customer-vouchers", Set.of(Service.VOUCHER_STREAMS),
            "ledger-commands", Set.of(Service.LEDGER_ADAPTER),
            "voucher-events", Set.of(Service.LEDGER_ADAPTER, Service.WEBHOOK_DELIVERY));

    private static TestBroker broker;
    private static final Map<Service, String> PASSWORDS = new EnumMap<>(Service.class);

    @BeforeAll
    static void securedBrokerWithThePipelinesAcls() {
        broker = TestBroker.startSecured(1, PipelineTopics.ALL.toArray(String[]::new));
        Arrays.stream(Service.values()).forEach(service -> PASSWORDS.put(service, BrokerSecurity.randomPassword()));
        Map<String, String> users = new HashMap<>();
        PASSWORDS.forEach((service, password) -> users.put(service.user(), password));
        broker.createUsers(users);
        broker.addAcls(KafkaAcls.all());
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void theIngressPublishesItsRequestsButCannotPutAnythingOnLedgerCommands() {
        RequestPublisher requests = ingressPublisher("voucher-requests");
        // An ingress misconfigured, or taken over, to publish its requests where the ledger takes its commands.
        RequestPublisher intoLedgerCommands = ingressPublisher("ledger-commands");
        try (requests; intoLedgerCommands) {
            assertThat(requests.publish(request()).block(Duration.ofSeconds(30)).topic()).isEqualTo("voucher-requests");

            assertThatThrownBy(() -> intoLedgerCommands.publish(request()).block(Duration.ofSeconds(30)))
                    .isInstanceOf(RequestPublisher.NotPublishedException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void eachTopicIsWrittenOnlyByTheServiceThatOwnsIt() {
        SoftAssertions softly = new SoftAssertions();
        for (Service service : Service.values()) {
            for (String topic : PipelineTopics.ALL) {
                Throwable refusal = BrokerSecurity.refusalOfWrite(client(service), topic);
                if (service == WRITER.get(topic)) {
                    softly.assertThat(refusal).as(service + " writes " + topic).isNull();
                } else {
                    // A principal that may write no topic at all (webhook-delivery) is refused before the topic: its
                    // idempotent producer may not even get a producer id (ClusterAuthorizationException).
                    softly.assertThat(refusal).as(service + " must not write " + topic).isInstanceOf(
                            WRITER.containsValue(service) ? TopicAuthorizationException.class : AuthorizationException.class);
                }
            }
        }
        softly.assertAll();
    }

    @Test
    void eachTopicIsReadOnlyByTheServicesThatConsumeIt() {
        PipelineTopics.ALL.forEach(topic -> assertThat(BrokerSecurity.refusalOfWrite(broker.adminConfig(), topic)).as(topic).isNull());
        SoftAssertions softly = new SoftAssertions();
        for (Service service : Service.values()) {
            for (String topic : PipelineTopics.ALL) {
                boolean reads = READERS.getOrDefault(topic, Set.of()).contains(service);
                softly.assertThat(readsFirstRecord(client(service), topic))
                        .as(service + (reads ? " reads " : " must not read ") + topic).isEqualTo(reads);
            }
        }
        softly.assertAll();
    }

    @Test
    void theDefinitionNamesOnlyThePipelinesTopicsAndVoucherStreamsOwnPrefix() {
        assertThat(KafkaAcls.all()).filteredOn(acl -> acl.pattern().resourceType() == ResourceType.TOPIC)
                .allSatisfy(acl -> {
                    if (acl.pattern().patternType() == PatternType.PREFIXED) {
                        assertThat(acl.pattern().name()).isEqualTo(KafkaAcls.STREAMS_APPLICATION_ID + "-");
                    } else {
                        assertThat(PipelineTopics.ALL).contains(acl.pattern().name());
                    }
                });
    }

    private static Map<String, Object> client(Service service) {
        return broker.clientConfig(service.user(), PASSWORDS.get(service));
    }

    /** The ingress's own publisher, configured the Spring Boot way as the ingress principal. */
    private static RequestPublisher ingressPublisher(String requestsTopic) {
        KafkaProperties kafka = new Binder(new MapConfigurationPropertySource(Map.of(
                "spring.kafka.bootstrap-servers", broker.bootstrapServers(),
                "spring.kafka.security.protocol", "SASL_PLAINTEXT",
                "spring.kafka.properties.sasl.mechanism", BrokerSecurity.MECHANISM,
                "spring.kafka.properties.sasl.jaas.config", BrokerSecurity.scramLogin(Service.INGRESS.user(),
                        PASSWORDS.get(Service.INGRESS))))).bindOrCreate("spring.kafka", KafkaProperties.class);
        IngressProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "ingress.topics.requests", requestsTopic,
                "ingress.request-signing.keys." + Secrets.REQUEST_SIGNING_KEY_ID, Secrets.random().requestSigningKey())))
                .bindOrCreate("ingress", IngressProperties.class);
        return new RequestPublisher(properties, KafkaConnection.of(kafka, null), KafkaTracing.untraced());
    }

    private static VoucherRequest request() {
        return new VoucherRequest("r-" + System.nanoTime(), "v1", "alice", Instant.now(), new CancelVoucher());
    }

    /** True once the client has read the topic's first record; false when the broker refuses it the topic. */
    private static boolean readsFirstRecord(Map<String, Object> client, String topic) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            // Assigned, not subscribed: the topic's ACLs are under test, not the services' consumer groups.
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            AtomicReference<Boolean> read = new AtomicReference<>();
            await(topic).atMost(Duration.ofSeconds(20)).until(() -> {
                try {
                    if (!consumer.poll(Duration.ofMillis(200)).isEmpty()) {
                        read.set(true);
                    }
                } catch (TopicAuthorizationException e) {
                    read.set(false);
                }
                return read.get() != null;
            });
            return read.get();
        }
    }
}
