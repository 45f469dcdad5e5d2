package io.qrvoucher.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class TestBrokerTest {

    @Test
    void createsTheTopicsWithTheirPartitionsRunsTransactionsAndCleansUp() throws Exception {
        Path directory;
        try (TestBroker broker = TestBroker.start(3, "in", "out")) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                Map<String, TopicDescription> topics = admin.describeTopics(List.of("in", "out")).allTopicNames().get();
                assertThat(topics.values()).extracting(topic -> topic.partitions().size()).containsOnly(3);
                directory = Path.of(admin.describeLogDirs(List.of(1)).allDescriptions().get().get(1).keySet().iterator().next())
                        .getParent();
            }
            assertThat(directory).exists();

            // Exactly-once on one node: the transaction state log makes do with one replica.
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-broker-test"), new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("in", "k", "v"));
                producer.commitTransaction();
            }
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "test-broker-test",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("in"));
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                    return !records.isEmpty();
                });
                assertThat(records).singleElement().satisfies(record -> assertThat(record.value()).isEqualTo("v"));
            }

            broker.close();
            assertThat(Files.exists(directory)).as("the directory is deleted once the broker stops").isFalse();
        }
    }

    @Test
    void aSecuredBrokerLetsInOnlyAuthenticatedClientsAndOnlyWhereAnAclAllows() {
        try (TestBroker broker = TestBroker.startSecured(1, "in", "out")) {
            String password = BrokerSecurity.randomPassword();
            broker.createUsers(Map.of("alice", password));
            broker.addAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "in", PatternType.LITERAL),
                    new AccessControlEntry("User:alice", "*", AclOperation.WRITE, AclPermissionType.ALLOW))));

            assertThat(BrokerSecurity.refusalOfWrite(broker.clientConfig("alice", password), "in")).as("allowed by the ACL").isNull();
            assertThat(BrokerSecurity.refusalOfWrite(broker.clientConfig("alice", password), "out")).as("no ACL allows it")
                    .isInstanceOf(TopicAuthorizationException.class);
            assertThat(BrokerSecurity.refusalOfWrite(broker.clientConfig("alice", "wrong"), "in")).isInstanceOf(SaslAuthenticationException.class);
            assertThatThrownBy(() -> {
                try (Admin plaintext = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
                    plaintext.listTopics().names().get();
                }
            }).as("a client without authentication gets nothing").hasCauseInstanceOf(TimeoutException.class);
        }
    }

    @Test
    void aBrokerOverTlsServesAnAuthenticatedClientThatTrustsItsCertificateAndNoOther() {
        try (TestBroker broker = TestBroker.startSecuredOverTls(1, "in")) {
            String password = BrokerSecurity.randomPassword();
            broker.createUsers(Map.of("alice", password));
            broker.addAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "in", PatternType.LITERAL),
                    new AccessControlEntry("User:alice", "*", AclOperation.WRITE, AclPermissionType.ALLOW))));
            Map<String, Object> trusting = broker.clientConfig("alice", password);
            Map<String, Object> untrusting = new HashMap<>(trusting);
            untrusting.keySet().removeIf(setting -> setting.startsWith("ssl.truststore"));

            assertThat(trusting).containsEntry("security.protocol", "SASL_SSL");
            assertThat(BrokerSecurity.refusalOfWrite(trusting, "in")).as("over TLS, trusting the broker").isNull();
            assertThat(BrokerSecurity.refusalOfWrite(untrusting, "in")).as("a certificate the client does not trust")
                    .isInstanceOf(SslAuthenticationException.class);
        }
    }
}
