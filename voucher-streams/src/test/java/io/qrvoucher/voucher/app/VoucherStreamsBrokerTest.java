package io.qrvoucher.voucher.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistrar;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetricsWithoutStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.RedeemVoucher;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.keys.TestKeys;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.support.RequestSignatures;
import io.qrvoucher.support.internal.InternalApi;

/**
 * The service as it runs in production, exactly-once on a real in-process KRaft broker: concurrent
 * and redelivered redemptions of one voucher produce one transfer.
 */
@SpringBootTest(classes = VoucherStreamsApplication.class, properties = {"spring.config.name=voucher-streams",
        "voucher.watchdog.stalled-after=3s", "voucher.watchdog.check-interval=500ms",
        "voucher.request-signing.keys.k1=" + VoucherStreamsBrokerTest.SIGNING_KEY,
        "internal-api.keys.k1=" + TestKeys.VOUCHER_STREAMS_INTERNAL_KEY})
@Import(VoucherStreamsBrokerTest.Broker.class)
class VoucherStreamsBrokerTest {

    /**
     * A single-node KRaft broker with the service's topics, a bean of the test's context: it starts
     * before the service and stops after it. (Not a {@code @Configuration}, so that the application's
     * component scan never finds it.)
     */
    static class Broker {

        @Bean(destroyMethod = "close")
        TestBroker testBroker() {
            return TestBroker.start(3, Topics.names().toArray(String[]::new));
        }

        @Bean
        DynamicPropertyRegistrar brokerAddress(TestBroker broker) {
            return registry -> registry.add("voucher.bootstrap-servers", broker::bootstrapServers);
        }
    }

    @TempDir
    static Path stateDir;

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("voucher.state-dir", () -> stateDir.toString());
        // Vouchers without an end of their own last past the bank's next midnight, which a run may cross.
        registry.add("voucher.policy.default-validity-days", () -> "2");
        registry.add("voucher.policy.max-validity-days", () -> "2");
    }

    @Autowired
    TestBroker broker;

    @Autowired
    KafkaStreams streams;

    @Autowired
    ApplicationContext context;

    /** The key of the ingress's seal in the service tests of voucher-streams. */
    static final String SIGNING_KEY = "cmVxdWVzdC1zaWduaW5nLWtleS1vZi10aGUtdGVzdHM=";
    private static final RequestSignatures INGRESS = new RequestSignatures("k1", Map.of("k1", SIGNING_KEY));
    private static final AvroSerde<VoucherAnswer> ANSWERS = AvroSerde.of(VoucherAnswer.class);
    private static final AvroSerde<VoucherPage> PAGES = AvroSerde.of(VoucherPage.class);

    @Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    private KafkaProducer<String, byte[]> producer;
    private KafkaConsumer<String, byte[]> consumer;
    private final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();

    @BeforeEach
    void connect() {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new ByteArraySerializer());
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of("ledger-commands", "customer-vouchers"));
        await().atMost(Duration.ofSeconds(60)).until(() -> streams.state() == KafkaStreams.State.RUNNING);
    }

    @AfterEach
    void disconnect() {
        producer.close();
        consumer.close();
    }

    @Test
    void concurrentAndRedeliveredRedemptionsOfOneVoucherTransferOnce() {
        String voucherId = UUID.randomUUID().toString();
        String codeHash = "ab".repeat(32);
        send(new VoucherRequest("gen-1", voucherId, "alice", Instant.now(),
                new GenerateVoucher("acc-alice", 250_00L, "CNY", null, codeHash)));
        await().atMost(Duration.ofSeconds(30)).until(() -> commandsFor(voucherId).size() == 1);

        answer(voucherId, "/freeze", LedgerOutcome.FROZEN);
        await().atMost(Duration.ofSeconds(30)).until(() -> latestState(voucherId) == VoucherStatus.UNUSED);

        VoucherRequest bob = new VoucherRequest("redeem-bob", voucherId, "bob", Instant.now(),
                new RedeemVoucher(codeHash, null, new OwnAccount("acc-bob")));
        send(bob);
        send(new VoucherRequest("redeem-carol", voucherId, "carol", Instant.now(),
                new RedeemVoucher(codeHash, 10_00L, new OwnAccount("acc-carol"))));
        send(bob);
        await().atMost(Duration.ofSeconds(30)).until(() -> latestState(voucherId) == VoucherStatus.REDEEMING);

        answer(voucherId, "/transfer", LedgerOutcome.TRANSFERRED);
        answer(voucherId, "/transfer", LedgerOutcome.TRANSFERRED);
        await().atMost(Duration.ofSeconds(30)).until(() -> latestState(voucherId) == VoucherStatus.REDEEMED);

        List<LedgerCommand> commands = commandsFor(voucherId);
        assertThat(commands).extracting(LedgerCommand::getCommandId).containsExactly(voucherId + "/freeze", voucherId + "/transfer");
        assertThat(((TransferFunds) commands.get(1).getBody()).getPayeeCustomerId()).isIn("bob", "carol");
        assertThat(meters.get("vouchers.events").tag("event.type", "REDEEMED").functionCounter().count()).isGreaterThanOrEqualTo(1.0);
        assertThat(meters.get("vouchers.events").tag("event.type", "REQUEST_REFUSED").functionCounter().count()).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void theOwnerAnswersAWaitingReaderOnceTheChangeIsCommittedAndListsItsCustomersVouchers() {
        String voucherId = UUID.randomUUID().toString();
        String payer = "payer-" + UUID.randomUUID();
        send(new VoucherRequest("gen-" + voucherId, voucherId, payer, Instant.now(),
                new GenerateVoucher("acc-" + payer, 5_00L, "CNY", null, "cd".repeat(32))));
        VoucherAnswer pending = awaitAnswer(voucherId, -1);
        assertThat(pending.getVoucher().getStatus()).isEqualTo(VoucherStatus.PENDING);

        // A long poll from the version the reader has, answered when the ledger's result is applied and committed.
        CompletableFuture<VoucherAnswer> waiting = CompletableFuture.supplyAsync(() ->
                awaitAnswer(voucherId, pending.getVoucher().getVersion()));
        answer(voucherId, "/freeze", LedgerOutcome.FROZEN);
        VoucherAnswer issued = waiting.join();
        assertThat(issued.getVoucher().getStatus()).isEqualTo(VoucherStatus.UNUSED);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(PAGES.decode(http().get()
                        .uri("/internal/customers/{customer}/vouchers?role=PAYER&from={from}&to={to}&size=10", payer,
                                Instant.EPOCH, Instant.parse("9999-01-01T00:00:00Z"))
                        .exchange().expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody())
                .getItems()).extracting(VoucherState::getVoucherId, VoucherState::getStatus)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(voucherId, VoucherStatus.UNUSED)));

        http().get().uri("/internal/routing").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.instances[0].active['voucher-requests'].length()").isEqualTo(3)
                .jsonPath("$.instances[0].active['customer-vouchers'].length()").isEqualTo(3);
    }

    /** The ingress asks only what it may; a caller that asks otherwise is answered 400, never 500. */
    @Test
    void aListOrAttemptsAskedWithARoleStatusOrTimeNoneCanHaveIsABadRequest() {
        String list = "/internal/customers/alice/vouchers?size=10&role={role}&status={status}&from={from}&to={to}";
        for (Object[] asked : List.<Object[]>of(new Object[] {"NOBODY", "UNUSED", Instant.EPOCH, Instant.EPOCH},
                new Object[] {"PAYER", "BOGUS", Instant.EPOCH, Instant.EPOCH},
                new Object[] {"PAYER", "UNUSED", Instant.EPOCH, Instant.MAX})) {
            http().get().uri(list, asked).exchange().expectStatus().isBadRequest().expectBody(Void.class);
        }
        http().get().uri("/internal/customers/alice/attempts?kind=FAILED_REDEMPTION&max=5&since={since}", Instant.MIN)
                .exchange().expectStatus().isBadRequest().expectBody(Void.class);
    }

    /** Health with details and metrics are the management port's (ServiceHealthTest), not the internal API's. */
    @Test
    void theInternalApiAnswersOnlySealedCallsAndServesNoActuator() {
        WebTestClient unsealed = WebTestClient.bindToApplicationContext(context).build();
        unsealed.get().uri("/internal/routing").exchange().expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");
        unsealed.get().uri("/internal/stalled-vouchers").exchange().expectStatus().isUnauthorized();
        unsealed.get().uri("/actuator/prometheus").exchange().expectStatus().isNotFound();
        unsealed.get().uri("/actuator/health").exchange().expectStatus().isNotFound();
        http().get().uri("/internal/routing").exchange().expectStatus().isOk().expectBody(Void.class);
    }

    /**
     * Kafka Streams' thread and client metrics reach Micrometer; its stores' do not: a store's uncommitted-bytes gauge
     * reads a write batch that each commit frees, and read from Micrometer's thread it brought a JVM down.
     */
    @Test
    void kafkaStreamsMetricsAreBoundButNotTheStoresWhoseReadsRaceTheirCommits() throws MalformedObjectNameException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        await().atMost(Duration.ofSeconds(30)).until(() -> streams.metrics().keySet().stream()
                .anyMatch(name -> name.group().equals(KafkaStreamsMetricsWithoutStores.STORE_GROUP)));
        try (KafkaStreamsMetricsWithoutStores metrics = new KafkaStreamsMetricsWithoutStores(streams, Duration.ofMillis(100))) {
            metrics.bindTo(registry);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(registry.find("kafka.stream.thread.process.total").functionCounters()).isNotEmpty());
            // A store's metrics are tagged with its id by its kind: rocksdb-state-id, in-memory-state-id, ...
            assertThat(registry.getMeters()).extracting(meter -> meter.getId())
                    .noneMatch(id -> id.getTags().stream().anyMatch(tag -> tag.getKey().endsWith("state.id")));
        }
        // Nor can a JMX client read them.
        assertThat(ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("kafka.streams:*"), null)).isEmpty();
    }

    @Test
    void aVoucherTheLedgerNeverAnswersIsListedForOperatorsUntilItMovesOn() {
        String voucherId = UUID.randomUUID().toString();
        send(new VoucherRequest("gen-" + voucherId, voucherId, "dave", Instant.now(),
                new GenerateVoucher("acc-dave", 7_00L, "CNY", null, "ef".repeat(32))));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> http().get().uri("/internal/stalled-vouchers")
                .exchange().expectStatus().isOk().expectBody()
                .jsonPath("$[?(@.voucherId == '%s')].hold".formatted(voucherId)).isEqualTo("REQUESTED")
                .jsonPath("$[?(@.voucherId == '%s')].amountMinor".formatted(voucherId)).isEqualTo(700)
                .jsonPath("$[?(@.voucherId == '%s')].waitingSince".formatted(voucherId)).value(since ->
                        assertThat(Instant.parse(((List<?>) since).get(0).toString())).isBefore(Instant.now())));
        assertThat(meters.get("vouchers.stalled").gauge().value()).isGreaterThanOrEqualTo(1.0);
        http().get().uri("/internal/stalled-vouchers?limit=0").exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").isEqualTo("limit is 1 to 10000, not 0");

        answer(voucherId, "/freeze", LedgerOutcome.FROZEN);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> http().get().uri("/internal/stalled-vouchers")
                .exchange().expectStatus().isOk().expectBody()
                .jsonPath("$[?(@.voucherId == '%s')]".formatted(voucherId)).doesNotExist());
    }

    private VoucherAnswer awaitAnswer(String voucherId, long afterVersion) {
        return ANSWERS.decode(http().get().uri("/internal/vouchers/{id}?afterVersion={version}&wait=PT20S", voucherId,
                        afterVersion)
                .exchange().expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody());
    }

    private WebTestClient http() {
        return WebTestClient.bindToApplicationContext(context).configureClient()
                .filter(InternalApi.Callee.withKey(TestKeys.VOUCHER_STREAMS_INTERNAL_KEY).sealedCalls())
                .responseTimeout(Duration.ofSeconds(30)).build();
    }

    /** Sends a request as the ingress does: sealed. */
    private void send(VoucherRequest request) {
        byte[] value = AvroSerde.of(VoucherRequest.class).encode(request);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>("voucher-requests", request.getVoucherId(), value);
        INGRESS.sign(record.headers(), request.getVoucherId(), value);
        producer.send(record);
        producer.flush();
    }

    private void answer(String voucherId, String suffix, LedgerOutcome outcome) {
        LedgerResult result = new LedgerResult(voucherId + suffix, voucherId, Instant.now(), outcome, null, 0L, 0L);
        producer.send(new ProducerRecord<>("ledger-results", voucherId, AvroSerde.of(LedgerResult.class).encode(result)));
        producer.flush();
    }

    private List<LedgerCommand> commandsFor(String voucherId) {
        poll();
        return seen.stream()
                .filter(r -> r.topic().equals("ledger-commands") && r.key().equals(voucherId))
                .map(r -> AvroSerde.of(LedgerCommand.class).decode(r.value()))
                .toList();
    }

    private VoucherStatus latestState(String voucherId) {
        poll();
        return seen.stream()
                .filter(r -> r.topic().equals("customer-vouchers"))
                .map(r -> AvroSerde.of(VoucherState.class).decode(r.value()))
                .filter(state -> state.getVoucherId().equals(voucherId))
                .reduce((first, second) -> second)
                .map(VoucherState::getStatus)
                .orElse(null);
    }

    private void poll() {
        consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
    }

}
