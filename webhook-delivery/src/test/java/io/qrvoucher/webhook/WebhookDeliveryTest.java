package io.qrvoucher.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import javax.sql.DataSource;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.transaction.support.TransactionTemplate;

import com.jayway.jsonpath.JsonPath;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.keys.TestKeys;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.Topics;
import io.qrvoucher.support.internal.InternalApi;
import io.qrvoucher.webhook.core.EndpointUrls;
import io.qrvoucher.webhook.core.RetrySchedule;
import io.qrvoucher.webhook.dispatch.DeliveryTraces;
import io.qrvoucher.webhook.dispatch.Dispatcher;
import io.qrvoucher.webhook.dispatch.WebhookSender;
import io.qrvoucher.webhook.store.Delivery;
import io.qrvoucher.webhook.store.Endpoint;
import io.qrvoucher.webhook.store.SecretRotation;
import io.qrvoucher.webhook.store.WebhookStore;

/**
 * The service as it runs: voucher events from a real broker, endpoints and deliveries in a real PostgreSQL,
 * webhooks POSTed to real HTTP receivers on this machine (the tests' switch lets http://localhost in). Retries
 * are in milliseconds and a delivery is given up after 3 s. Every test has customers of its own.
 */
@SpringBootTest(classes = WebhookDeliveryApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=webhook-delivery",
                "webhook.endpoints.allow-local-http=true", "internal-api.keys.k1=" + TestKeys.WEBHOOK_DELIVERY_INTERNAL_KEY,
                "webhook.endpoints.max-per-customer=3",
                "webhook.delivery.poll-interval=50ms",
                "webhook.delivery.initial-backoff=100ms",
                "webhook.delivery.max-backoff=800ms",
                "webhook.delivery.give-up-after=3s",
                "webhook.delivery.connect-timeout=500ms",
                "webhook.delivery.response-timeout=500ms"})
@Import({DeliveryBroker.class, WebhookDeliveryTest.NameService.class})
class WebhookDeliveryTest {

    /** The system's name service, which a test may take down: then no host resolves. */
    static final class NameServiceThatCanGoDown implements EndpointUrls.Resolver {

        volatile boolean down;

        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            if (down) {
                throw new UnknownHostException(host + ": the name service is down");
            }
            return InetAddress.getAllByName(host);
        }
    }

    @TestConfiguration
    static class NameService {
        @Bean
        @Primary
        NameServiceThatCanGoDown nameServiceThatCanGoDown() {
            return new NameServiceThatCanGoDown();
        }
    }

    static final String SECRET_KEY = Base64.getEncoder().encodeToString("the-webhook-tests-secret-key-256-bits!".getBytes());
    private static final String DATABASE = TestDatabases.newMigratedDatabase("webhooks", "classpath:db/webhooks");
    private static final AvroSerde<VoucherEvent> EVENTS = AvroSerde.of(VoucherEvent.class);
    private static final Duration BOUND = Duration.ofSeconds(30);

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabases.register(registry, DATABASE);
        registry.add("webhook.secret-encryption.keys.k1", () -> SECRET_KEY);
    }

    @Autowired
    TestBroker broker;

    @Autowired
    WebhookStore store;

    @Autowired
    TransactionTemplate transactions;

    @Autowired
    DataSource dataSource;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    private WebTestClient http;
    private KafkaProducer<String, byte[]> producer;
    private final String alice = "alice-" + UUID.randomUUID();
    private final String bob = "bob-" + UUID.randomUUID();
    private final String carol = "carol-" + UUID.randomUUID();

    @BeforeEach
    void connect() {
        http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
                .filter(InternalApi.Callee.withKey(TestKeys.WEBHOOK_DELIVERY_INTERNAL_KEY).sealedCalls()).responseTimeout(BOUND).build();
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void disconnect() {
        producer.close();
    }

    @Test
    void aRedemptionsEventsReachThePayersAndThePayeesEndpointsSignedAndAThirdCustomersGetsNothing() throws Exception {
        try (Receiver alices = Receiver.answering(); Receiver bobs = Receiver.answering(); Receiver carols = Receiver.answering()) {
            Endpoint aliceEndpoint = register(alice, alices.url(), "ISSUED", "REDEMPTION_STARTED", "REDEEMED");
            Endpoint bobEndpoint = register(bob, bobs.url(), "REDEEMED");
            Endpoint carolEndpoint = register(carol, carols.url(), "ISSUED", "REDEMPTION_STARTED", "REDEEMED");
            String voucherId = "v-" + UUID.randomUUID();

            publish(VoucherEvents.redemption(voucherId, alice, bob));

            await().atMost(BOUND).until(() -> alices.accepted().size() == 3 && bobs.accepted().size() == 1);
            assertThat(alices.accepted()).extracting(Receiver.Request::eventId)
                    .containsExactly(voucherId + "/v2", voucherId + "/v3", voucherId + "/v4");
            assertThat(alices.accepted()).allMatch(request -> request.verifies(aliceEndpoint.secret()));
            assertThat(bobs.accepted()).allMatch(request -> request.verifies(bobEndpoint.secret()))
                    .noneMatch(request -> request.verifies(aliceEndpoint.secret()));
            Receiver.Request redeemed = bobs.accepted().get(0);
            assertThat(JsonPath.<String>read(redeemed.bodyText(), "$.type")).isEqualTo("REDEEMED");
            assertThat(JsonPath.<String>read(redeemed.bodyText(), "$.id")).isEqualTo(redeemed.eventId());
            assertThat(JsonPath.<String>read(redeemed.bodyText(), "$.voucher.redemption.amount")).isEqualTo("88.80");
            assertThat(JsonPath.<Object>read(redeemed.bodyText(), "$.voucher.accountId")).isNull();

            // All four events were read (the group's offsets are committed after the deliveries): carol has none.
            awaitAllEventsRead();
            assertThat(deliveries(carol, carolEndpoint.id())).isEmpty();
            assertThat(carols.requests()).isEmpty();
        }
    }

    @Test
    void aReceiverThatFailsThreeTimesGetsTheEventsLaterAndInOrderWithEveryAttemptRecorded() {
        try (Receiver receiver = Receiver.failingFirst(3)) {
            Endpoint endpoint = register(alice, receiver.url(), "REQUESTED", "ISSUED", "REDEMPTION_STARTED", "REDEEMED");
            String voucherId = "v-" + UUID.randomUUID();

            publish(VoucherEvents.redemption(voucherId, alice, bob));

            await().atMost(BOUND).until(() -> receiver.accepted().size() == 4);
            // The first event was tried four times before any other was sent: the order holds.
            assertThat(receiver.requests()).extracting(Receiver.Request::eventId).containsExactly(
                    voucherId + "/v1", voucherId + "/v1", voucherId + "/v1", voucherId + "/v1",
                    voucherId + "/v2", voucherId + "/v3", voucherId + "/v4");
            await().atMost(BOUND).until(() -> deliveries(alice, endpoint.id()).stream().allMatch(delivered()));
            Delivery first = deliveries(alice, endpoint.id()).get(3); // newest first
            assertThat(first.eventId()).isEqualTo(voucherId + "/v1");
            assertThat(first.attempts()).extracting(Delivery.Attempt::statusCode).containsExactly(503, 503, 503, 200);
            assertThat(first.attempts()).extracting(Delivery.Attempt::at).isSorted();
        }
    }

    @Test
    void anEndpointThatNeverAnswersIsGivenUpAfterTheConfiguredPeriodWithEveryAttemptRecorded() throws IOException {
        // Connections are taken (the backlog) but never answered.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Endpoint endpoint = register(alice, "http://localhost:" + silent.getLocalPort() + "/hooks", "ISSUED");

            publish(VoucherEvents.redemption("v-" + UUID.randomUUID(), alice, bob)[1]);

            await().atMost(BOUND).until(() -> deliveries(alice, endpoint.id()).stream().anyMatch(givenUp()));
            Delivery delivery = deliveries(alice, endpoint.id()).get(0);
            assertThat(delivery.attempts()).hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(attempt -> assertThat(attempt.error()).startsWith("timeout"))
                    .allSatisfy(attempt -> assertThat(attempt.statusCode()).isNull());
            Instant last = delivery.attempts().get(delivery.attempts().size() - 1).at();
            assertThat(Duration.between(delivery.createdAt(), last)).isGreaterThanOrEqualTo(Duration.ofMillis(2_500));
            assertThat(delivery.finishedAt()).isNotNull();
            assertThat(delivery.nextAttemptAt()).isNull();
        }
    }

    /**
     * A receiver that answers 410 Gone says it takes no more: its endpoint is disabled, nothing more is sent to it nor
     * recorded for it, and what was queued waits, in order, until its customer enables it again.
     */
    @Test
    void aReceiverThatAnswersGoneDisablesItsEndpointUntilItsCustomerEnablesIt() throws Exception {
        try (Receiver receiver = Receiver.gone()) {
            Endpoint endpoint = register(alice, receiver.url(), "ISSUED");
            String first = "v-" + UUID.randomUUID();
            publish(VoucherEvents.redemption(first, alice, bob)[1]);

            await().atMost(BOUND).until(() -> endpoints(alice).get(0).disabledAt() != null);
            assertThat(endpoints(alice).get(0).disabledReason()).isEqualTo(Endpoint.GONE);
            String whileDisabled = "v-" + UUID.randomUUID();
            publish(VoucherEvents.redemption(whileDisabled, alice, bob)[1]);
            awaitAllEventsRead();
            assertThat(deliveries(alice, endpoint.id())).as("none recorded while disabled").singleElement()
                    .satisfies(queued -> {
                        assertThat(queued.status()).isEqualTo("PENDING");
                        assertThat(queued.attempts()).extracting(Delivery.Attempt::statusCode).containsExactly(410);
                    });
            // Longer than the backoff: an enabled endpoint's queue would have been tried again by then.
            await().during(Duration.ofSeconds(1)).atMost(BOUND).until(() -> receiver.requests().size() == 1);
            // As if it had been disabled for long: the queue's head waits out a backoff of an hour, unless enabling says
            // it is due now.
            JdbcClient.create(dataSource).sql("UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 hour' "
                    + "WHERE endpoint_id = :id AND status = 'PENDING'").param("id", endpoint.id()).update();

            receiver.answer(200);
            Endpoint enabled = http.post().uri("/internal/customers/{c}/webhooks/{e}/enable", alice, endpoint.id())
                    .exchange().expectStatus().isOk().expectBody(Endpoint.class).returnResult().getResponseBody();
            assertThat(enabled.disabledAt()).isNull();
            String afterwards = "v-" + UUID.randomUUID();
            publish(VoucherEvents.redemption(afterwards, alice, bob)[1]);

            await().atMost(BOUND).until(() -> receiver.accepted().size() == 2);
            assertThat(receiver.accepted()).extracting(Receiver.Request::eventId)
                    .containsExactly(first + "/v2", afterwards + "/v2");
            http.post().uri("/internal/customers/{c}/webhooks/{e}/enable", bob, endpoint.id())
                    .exchange().expectStatus().isNotFound();
        }
    }

    /**
     * A dead endpoint's queue drains as its head is given up: the deliveries behind it as old go with it, unattempted.
     * Tried once each, at up to an attempt's time limit apiece, it drained slower than a busy customer's events came.
     */
    @Test
    void deliveriesAsOldAsTheGivenUpHeadBehindItAreGivenUpWithoutAnAttempt() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Endpoint endpoint = register(alice, "http://localhost:" + silent.getLocalPort() + "/hooks",
                    "REQUESTED", "ISSUED", "REDEMPTION_STARTED", "REDEEMED");

            publish(VoucherEvents.redemption("v-" + UUID.randomUUID(), alice, bob));

            await().atMost(BOUND).until(() -> deliveries(alice, endpoint.id()), all -> all.size() == 4
                    && all.stream().allMatch(givenUp()));
            List<Delivery> all = deliveries(alice, endpoint.id());
            assertThat(all).filteredOn(delivery -> !delivery.attempts().isEmpty()).as("only the head was tried").hasSize(1)
                    .allSatisfy(head -> assertThat(head.attempts()).hasSizeGreaterThanOrEqualTo(2));
            assertThat(all).filteredOn(delivery -> delivery.attempts().isEmpty()).hasSize(3)
                    .allSatisfy(behind -> assertThat(behind.finishedAt()).isNotNull());
        }
    }

    /**
     * An event the receiver keeps failing holds the later events of its own voucher, which wait for it, and no other
     * voucher's: before, it held every later event of the endpoint until it was delivered or given up, a day (here a
     * delivery is given up after 3 s, and the failing voucher's later events with it).
     */
    @Test
    void anEventTheReceiverKeepsFailingHoldsOnlyItsOwnVouchersLaterEvents() {
        try (Receiver receiver = Receiver.answering()) {
            register(alice, receiver.url(), "REQUESTED", "ISSUED", "REDEMPTION_STARTED", "REDEEMED");
            String failing = "v-" + UUID.randomUUID();
            String other = "v-" + UUID.randomUUID();
            receiver.refuseEventsOf(failing + "/v2");

            publish(VoucherEvents.redemption(failing, alice, bob));
            // The other voucher's events recorded after the failing one: behind it in the endpoint's order.
            await().atMost(BOUND).until(() -> receiver.requests().stream().anyMatch(request -> request.answered() == 500));
            publish(VoucherEvents.redemption(other, alice, bob));

            await().atMost(BOUND).until(() -> ofVoucher(receiver, other).size() == 4);
            assertThat(ofVoucher(receiver, other)).extracting(Receiver.Request::eventId)
                    .containsExactly(other + "/v1", other + "/v2", other + "/v3", other + "/v4");
            // Tried on beside the other's events, not given up first (after 3 s here) to let them through. That the
            // other's first comes within those 3 s of the failing one's recording is the test's one bet on time.
            Instant otherFirstSent = ofVoucher(receiver, other).get(0).at();
            assertThat(receiver.requests()).filteredOn(request -> request.eventId().equals(failing + "/v2"))
                    .as("the failing event tried again after the other's first was sent")
                    .anySatisfy(request -> assertThat(request.at()).isAfter(otherFirstSent));
            List<String> sent = receiver.requests().stream().map(Receiver.Request::eventId).toList();
            assertThat(sent.subList(0, sent.indexOf(other + "/v4"))).as("sent before the other's last")
                    .doesNotContain(failing + "/v3", failing + "/v4");
        }
    }

    /**
     * A dead endpoint rests after its failed attempts, longer with each in a row: with many vouchers queued it is not
     * tried once for each voucher's head, back to back, holding one of its customer's places all day.
     */
    @Test
    void aDeadEndpointWithManyVouchersQueuedRestsBetweenItsAttempts() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Endpoint endpoint = register(alice, "http://localhost:" + silent.getLocalPort() + "/hooks", "ISSUED");
            for (int i = 0; i < 8; i++) {
                publish(VoucherEvents.redemption("v-" + UUID.randomUUID(), alice, bob)[1]);
            }

            await().atMost(BOUND).until(() -> deliveries(alice, endpoint.id()), all -> all.size() == 8
                    && all.stream().allMatch(givenUp()));
            List<Instant> attempts = deliveries(alice, endpoint.id()).stream()
                    .flatMap(delivery -> delivery.attempts().stream()).map(Delivery.Attempt::at).sorted().toList();
            // Each attempt times out after 0.5 s; the rests after the first failures are 0.1, 0.2, 0.4 and 0.8 s. Back
            // to back, the eight vouchers' heads would each be tried within the 3 s before they are given up.
            assertThat(attempts).as("attempts %s", attempts).hasSizeLessThan(8);
            for (int i = 2; i < attempts.size(); i++) {
                assertThat(Duration.between(attempts.get(i - 1), attempts.get(i)))
                        .as("the rest before attempt %d of %s", i + 1, attempts).isGreaterThanOrEqualTo(Duration.ofMillis(600));
            }
        }
    }

    @Test
    void aResentDeliveryIsSentAgainWithTheSameEventIdAsANewDelivery() {
        try (Receiver receiver = Receiver.answering()) {
            Endpoint endpoint = register(alice, receiver.url(), "ISSUED");
            String voucherId = "v-" + UUID.randomUUID();
            publish(VoucherEvents.redemption(voucherId, alice, bob)[1]);
            // Counted by this test's voucher: a receiver's port may be one an earlier test's receiver had, and that
            // test's endpoint's retries may still come to it.
            await().atMost(BOUND).until(() -> ofVoucher(receiver, voucherId).size() == 1);
            Delivery original = deliveries(alice, endpoint.id()).get(0);

            Delivery resent = http.post().uri("/internal/customers/{c}/webhooks/{e}/deliveries/{d}/resend", alice,
                            endpoint.id(), original.id()).header("Idempotency-Key", "resend-1")
                    .exchange().expectStatus().isAccepted().expectBody(Delivery.class).returnResult().getResponseBody();
            // The same key again is the same resend, not a third delivery.
            http.post().uri("/internal/customers/{c}/webhooks/{e}/deliveries/{d}/resend", alice, endpoint.id(), original.id())
                    .header("Idempotency-Key", "resend-1").exchange().expectStatus().isAccepted()
                    .expectBody().jsonPath("$.id").isEqualTo(resent.id());

            await().atMost(BOUND).until(() -> ofVoucher(receiver, voucherId).size() == 2);
            Receiver.Request again = ofVoucher(receiver, voucherId).get(1);
            assertThat(again.eventId()).isEqualTo(original.eventId());
            assertThat(again.deliveryId()).isEqualTo(resent.id()).isNotEqualTo(original.id());
            assertThat(again.verifies(endpoint.secret())).isTrue();
            assertThat(resent.resendOf()).isEqualTo(original.id());
            assertThat(deliveries(alice, endpoint.id())).hasSize(2);
            // Nobody else's delivery can be resent through this customer.
            http.post().uri("/internal/customers/{c}/webhooks/{e}/deliveries/{d}/resend", carol, endpoint.id(), original.id())
                    .exchange().expectStatus().isNotFound().expectBody(Void.class);
        }
    }

    @Test
    void aResendsIdempotencyKeyCannotResendAnotherDelivery() {
        try (Receiver receiver = Receiver.answering()) {
            Endpoint endpoint = register(alice, receiver.url(), "ISSUED");
            publish(VoucherEvents.redemption("v-" + UUID.randomUUID(), alice, bob)[1],
                    VoucherEvents.redemption("v-" + UUID.randomUUID(), alice, bob)[1]);
            await().atMost(BOUND).until(() -> receiver.accepted().size() == 2);
            List<Delivery> delivered = deliveries(alice, endpoint.id());

            http.post().uri("/internal/customers/{c}/webhooks/{e}/deliveries/{d}/resend", alice, endpoint.id(),
                    delivered.get(0).id()).header("Idempotency-Key", "resend-1").exchange().expectStatus().isAccepted()
                    .expectBody(Void.class);
            http.post().uri("/internal/customers/{c}/webhooks/{e}/deliveries/{d}/resend", alice, endpoint.id(),
                            delivered.get(1).id()).header("Idempotency-Key", "resend-1").exchange()
                    .expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                    .expectBody().jsonPath("$.code").isEqualTo("IDEMPOTENCY_KEY_REUSED");

            assertThat(deliveries(alice, endpoint.id())).hasSize(3);
        }
    }

    @Test
    void aRotatedSecretSignsBesideTheOneItReplacedUntilThatExpiresAndARetryGetsTheSameSecret() {
        try (Receiver receiver = Receiver.answering()) {
            Map<String, Object> registration = Map.of("url", receiver.url(), "eventTypes", List.of("ISSUED"));
            Endpoint endpoint = http.post().uri("/internal/customers/{c}/webhooks", alice).header("Idempotency-Key", "register-1")
                    .bodyValue(registration).exchange().expectStatus().isCreated().expectBody(Endpoint.class)
                    .returnResult().getResponseBody();
            SecretRotation rotated = rotate(alice, endpoint.id(), "rotate-1", 3600, HttpStatus.CREATED);
            assertThat(rotated.secret()).startsWith("whsec_").isNotEqualTo(endpoint.secret());
            assertThat(rotated.previousSecretExpiresAt()).isEqualTo(rotated.rotatedAt().plusSeconds(3600));
            assertThat(rotate(alice, endpoint.id(), "rotate-1", 3600, HttpStatus.OK)).isEqualTo(rotated);

            publish(VoucherEvents.redemption("v-" + UUID.randomUUID(), alice, bob)[1]);
            await().atMost(BOUND).until(() -> receiver.accepted().size() == 1);
            // Both secrets sign: a receiver still on the old one and one already on the new one both accept it.
            assertThat(receiver.accepted().get(0).verifies(endpoint.secret())).isTrue();
            assertThat(receiver.accepted().get(0).verifies(rotated.secret())).isTrue();

            // Leaked: rotated again, the secrets before stop at once.
            SecretRotation again = rotate(alice, endpoint.id(), "rotate-2", 0, HttpStatus.CREATED);
            publish(VoucherEvents.redemption("v-" + UUID.randomUUID(), alice, bob)[1]);
            await().atMost(BOUND).until(() -> receiver.accepted().size() == 2);
            Receiver.Request afterLeak = receiver.accepted().get(1);
            assertThat(afterLeak.verifies(again.secret())).isTrue();
            assertThat(afterLeak.verifies(rotated.secret())).isFalse();
            assertThat(afterLeak.verifies(endpoint.secret())).isFalse();

            // A replaced secret is not shown again, not even to a retry of what made it.
            assertThat(rotate(alice, endpoint.id(), "rotate-1", 3600, HttpStatus.OK).secret()).isNull();
            http.post().uri("/internal/customers/{c}/webhooks", alice).header("Idempotency-Key", "register-1")
                    .bodyValue(registration).exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.id").isEqualTo(endpoint.id()).jsonPath("$.secret").doesNotExist();
            rotation(alice, endpoint.id(), "rotate-1", 60).expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                    .expectBody().jsonPath("$.code").isEqualTo("IDEMPOTENCY_KEY_REUSED");
            rotation(alice, endpoint.id(), "rotate-3", 86_401).expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                    .expectBody().jsonPath("$.code").isEqualTo("INVALID_SECRET_ROTATION");
            rotation(carol, endpoint.id(), "rotate-4", 60).expectStatus().isNotFound();
        }
    }

    /** A connection of an instance cut off mid-attempt is found dead by the server within about a minute. */
    @Test
    void theServicesConnectionsAskTheServerToProbeThemWhenIdle() {
        JdbcClient database = JdbcClient.create(dataSource);

        assertThat(database.sql("SHOW tcp_keepalives_idle").query(String.class).single()).isEqualTo("30");
        assertThat(database.sql("SHOW tcp_keepalives_interval").query(String.class).single()).isEqualTo("10");
        assertThat(database.sql("SHOW tcp_keepalives_count").query(String.class).single()).isEqualTo("3");
    }

    @Test
    void onlyACallTheIngressSealedRegistersAnEndpoint() {
        String customer = "webhook-stranger-" + UUID.randomUUID();
        WebTestClient unsealed = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
        unsealed.post().uri("/internal/customers/{c}/webhooks", customer)
                .bodyValue(Map.of("url", "http://localhost:1/stolen", "eventTypes", List.of("ISSUED"))).exchange()
                .expectStatus().isUnauthorized().expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");

        assertThat(endpoints(customer)).isEmpty();
    }

    @Test
    void healthAndMetricsAreServedOnTheManagementPortAndNotOnTheInternalApisPort() {
        assertThat(managementPort).isNotEqualTo(port);
        WebTestClient management = WebTestClient.bindToServer().baseUrl("http://localhost:" + managementPort)
                .responseTimeout(BOUND).build();
        management.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.components.db.status").isEqualTo("UP")
                .jsonPath("$.components.kafkaBroker.status").isEqualTo("UP")
                .jsonPath("$.components.internalApi.status").isEqualTo("UP");
        management.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk().expectBody(Void.class);
        management.get().uri("/actuator/prometheus").exchange().expectStatus().isOk().expectBody(Void.class);
        for (String endpoint : List.of("/actuator", "/actuator/health", "/actuator/health/readiness", "/actuator/prometheus")) {
            http.get().uri(endpoint).exchange().expectStatus().isNotFound().expectBody(Void.class);
        }
    }

    @Test
    void aUrlOnAPrivateOrLinkLocalAddressIsRefusedWithAProblem() {
        for (String url : List.of("https://10.0.0.1/hooks", "https://169.254.169.254/latest/meta-data",
                "https://192.168.0.10/", "http://[fd12::1]/")) {
            refused(alice, Map.of("url", url, "eventTypes", List.of("REDEEMED")), "WEBHOOK_URL_NOT_ALLOWED");
        }
        refused(alice, Map.of("url", "ftp://shop.example/", "eventTypes", List.of("REDEEMED")), "INVALID_WEBHOOK_URL");
        refused(alice, Map.of("url", "http://localhost:1/", "eventTypes", List.of("PAID")), "UNKNOWN_EVENT_TYPE");
        assertThat(endpoints(alice)).isEmpty();
    }

    @Test
    void aCustomerHasAtMostTheConfiguredNumberOfEndpointsAndMayRemoveOne() {
        List<Endpoint> made = List.of(register(alice, "http://localhost:1/a", "ISSUED"),
                register(alice, "http://localhost:1/b", "ISSUED"), register(alice, "http://localhost:1/c", "ISSUED"));
        refused(alice, Map.of("url", "http://localhost:1/d", "eventTypes", List.of("ISSUED")), "TOO_MANY_WEBHOOKS");
        // Before its host is looked up: at the limit, a name server's answer is not waited for.
        refused(alice, Map.of("url", "https://does-not-resolve.invalid/d", "eventTypes", List.of("ISSUED")),
                "TOO_MANY_WEBHOOKS");

        http.delete().uri("/internal/customers/{c}/webhooks/{e}", bob, made.get(0).id()).exchange().expectStatus().isNotFound()
                .expectBody(Void.class);
        http.delete().uri("/internal/customers/{c}/webhooks/{e}", alice, made.get(0).id()).exchange().expectStatus().isNoContent();

        assertThat(endpoints(alice)).extracting(Endpoint::id).containsExactly(made.get(1).id(), made.get(2).id())
                .allSatisfy(id -> assertThat(id).isNotNull());
        assertThat(endpoints(alice)).extracting(Endpoint::secret).containsOnlyNulls();
        register(alice, "http://localhost:1/d", "ISSUED");
    }

    @Test
    void aRegistrationRetriedWithItsIdempotencyKeyGetsTheSameEndpointAndSecret() {
        Map<String, Object> body = Map.of("url", "http://localhost:1/hooks", "eventTypes", List.of("REDEEMED"));
        Endpoint first = http.post().uri("/internal/customers/{c}/webhooks", alice).header("Idempotency-Key", "k-1")
                .bodyValue(body).exchange().expectStatus().isCreated().expectBody(Endpoint.class).returnResult().getResponseBody();
        Endpoint retried = http.post().uri("/internal/customers/{c}/webhooks", alice).header("Idempotency-Key", "k-1")
                .bodyValue(body).exchange().expectStatus().isOk().expectBody(Endpoint.class).returnResult().getResponseBody();

        assertThat(retried).isEqualTo(first);
        assertThat(endpoints(alice)).hasSize(1);
        http.post().uri("/internal/customers/{c}/webhooks", alice).header("Idempotency-Key", "k-1")
                .bodyValue(Map.of("url", "http://localhost:1/other", "eventTypes", List.of("REDEEMED")))
                .exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                .expectBody().jsonPath("$.code").isEqualTo("IDEMPOTENCY_KEY_REUSED");
    }

    /** Its name server answered for the first: a retry, its answer lost, is not refused for a lookup gone wrong since. */
    @Test
    void aRegistrationRetriedWhileItsHostNoLongerResolvesGetsTheSameEndpointAndSecret(
            @Autowired NameServiceThatCanGoDown nameService) {
        Map<String, Object> body = Map.of("url", "http://localhost:1/hooks", "eventTypes", List.of("REDEEMED"));
        Endpoint first = http.post().uri("/internal/customers/{c}/webhooks", alice).header("Idempotency-Key", "k-1")
                .bodyValue(body).exchange().expectStatus().isCreated().expectBody(Endpoint.class).returnResult().getResponseBody();
        nameService.down = true;
        try {
            Endpoint retried = http.post().uri("/internal/customers/{c}/webhooks", alice).header("Idempotency-Key", "k-1")
                    .bodyValue(body).exchange().expectStatus().isOk().expectBody(Endpoint.class).returnResult()
                    .getResponseBody();

            assertThat(retried).isEqualTo(first);
            http.post().uri("/internal/customers/{c}/webhooks", alice).header("Idempotency-Key", "k-2")
                    .bodyValue(body).exchange().expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                    .expectBody().jsonPath("$.code").isEqualTo("WEBHOOK_URL_NOT_ALLOWED");
        } finally {
            nameService.down = false;
        }
    }

    /**
     * An instance that stops takes no new delivery, and an attempt it cuts short is not the endpoint's failure: it is
     * not recorded (no backoff, no step towards giving up), and the delivery stays due for another instance.
     */
    @Test
    void anAttemptCutShortByItsInstanceStoppingIsNotRecordedAndStaysDue(@Autowired Dispatcher running) throws IOException {
        running.stop();
        try (Receiver slow = Receiver.answeringAfter(Duration.ofSeconds(60));
             WebhookSender sender = new WebhookSender(new io.qrvoucher.webhook.core.EndpointUrls(true, java.util.Set.of(443)),
                     Duration.ofSeconds(1), Duration.ofSeconds(8), 8, Clock.systemUTC())) {
            Dispatcher stopping = new Dispatcher(store, transactions, sender, DeliveryTraces.untraced(),
                    new RetrySchedule(Duration.ofMillis(100), Duration.ofMillis(800), Duration.ofSeconds(3)), 1,
                    Duration.ofMillis(10), Clock.systemUTC(), new SimpleMeterRegistry());
            Endpoint endpoint = register(alice, slow.url(), "ISSUED");
            stopping.start();
            publish(VoucherEvents.redemption("v-" + UUID.randomUUID(), alice, bob)[1]);
            await().atMost(BOUND).until(() -> slow.mostInFlight() == 1);

            // Past its grace the worker is interrupted; its attempt ends at the sender's deadline, within the stop.
            stopping.stop();

            assertThat(deliveries(alice, endpoint.id())).singleElement().satisfies(delivery -> {
                assertThat(delivery.status()).isEqualTo("PENDING");
                assertThat(delivery.attempts()).isEmpty();
            });
        } finally {
            running.start();
        }
    }

    @Test
    void aWorkerThatFailedWithAnErrorGoesOnSendingAtItsNextPoll(@Autowired Dispatcher running) throws IOException {
        running.stop();
        // The worker's first look at the time fails as no exception would: with an Error.
        AtomicBoolean failed = new AtomicBoolean();
        Clock failingOnce = new Clock() {
            @Override
            public Instant instant() {
                if (failed.compareAndSet(false, true)) {
                    throw new StackOverflowError("the worker's first attempt, as the test makes it fail") {
                        @Override
                        public synchronized Throwable fillInStackTrace() {
                            return this; // its log line without a page of frames
                        }
                    };
                }
                return Instant.now();
            }

            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                throw new UnsupportedOperationException();
            }
        };
        try (Receiver receiver = Receiver.answering();
             WebhookSender sender = new WebhookSender(new io.qrvoucher.webhook.core.EndpointUrls(true, java.util.Set.of(443)),
                     Duration.ofSeconds(1), Duration.ofSeconds(1), 8, Clock.systemUTC())) {
            Dispatcher oneWorker = new Dispatcher(store, transactions, sender, DeliveryTraces.untraced(),
                    new RetrySchedule(Duration.ofMillis(100), Duration.ofMillis(800), Duration.ofSeconds(3)), 1,
                    Duration.ofMillis(10), failingOnce, new SimpleMeterRegistry());
            register(alice, receiver.url(), "ISSUED");
            oneWorker.start();
            try {
                await().atMost(BOUND).untilTrue(failed);
                String voucherId = "v-" + UUID.randomUUID();
                publish(VoucherEvents.redemption(voucherId, alice, bob)[1]);

                await().atMost(BOUND).until(() -> receiver.accepted().size() == 1);
                assertThat(receiver.accepted()).extracting(Receiver.Request::eventId).containsExactly(voucherId + "/v2");
            } finally {
                oneWorker.stop();
            }
        } finally {
            running.start();
        }
    }

    @Test
    void twoInstancesSendOneEndpointsDeliveriesOneAtATimeAndInOrder() throws IOException {
        // A second instance's dispatcher on the same database, beside this one's: the endpoint's lock is shared.
        try (Receiver receiver = Receiver.answeringAfter(Duration.ofMillis(30));
             WebhookSender sender = new WebhookSender(new io.qrvoucher.webhook.core.EndpointUrls(true, java.util.Set.of(443)),
                     Duration.ofSeconds(1), Duration.ofSeconds(1), 8, Clock.systemUTC())) {
            Dispatcher other = new Dispatcher(store, transactions, sender, DeliveryTraces.untraced(),
                    new RetrySchedule(Duration.ofMillis(100),
                    Duration.ofMillis(800), Duration.ofSeconds(3)), 4, Duration.ofMillis(10), Clock.systemUTC(),
                    new SimpleMeterRegistry());
            other.start();
            try {
                register(alice, receiver.url(), "REQUESTED", "ISSUED", "REDEMPTION_STARTED", "REDEEMED");
                String[] vouchers = {"v-" + UUID.randomUUID(), "v-" + UUID.randomUUID(), "v-" + UUID.randomUUID()};
                for (String voucherId : vouchers) {
                    publish(VoucherEvents.redemption(voucherId, alice, bob));
                }

                await().atMost(BOUND).until(() -> receiver.accepted().size() == 12);
                assertThat(receiver.mostInFlight()).isEqualTo(1);
                for (String voucherId : vouchers) {
                    assertThat(receiver.accepted()).extracting(Receiver.Request::eventId)
                            .filteredOn(id -> id.startsWith(voucherId))
                            .containsExactly(voucherId + "/v1", voucherId + "/v2", voucherId + "/v3", voucherId + "/v4");
                }
            } finally {
                other.stop();
            }
        }
    }

    private static List<Receiver.Request> ofVoucher(Receiver receiver, String voucherId) {
        return receiver.accepted().stream().filter(request -> request.eventId().startsWith(voucherId + "/")).toList();
    }

    private Endpoint register(String customer, String url, String... eventTypes) {
        return http.post().uri("/internal/customers/{c}/webhooks", customer)
                .bodyValue(Map.of("url", url, "eventTypes", List.of(eventTypes)))
                .exchange().expectStatus().isCreated().expectBody(Endpoint.class).returnResult().getResponseBody();
    }

    private SecretRotation rotate(String customer, String endpointId, String key, long previousSecretExpiresIn,
                                  HttpStatus answered) {
        return rotation(customer, endpointId, key, previousSecretExpiresIn).expectStatus().isEqualTo(answered)
                .expectBody(SecretRotation.class).returnResult().getResponseBody();
    }

    private WebTestClient.ResponseSpec rotation(String customer, String endpointId, String key, long previousSecretExpiresIn) {
        return http.post().uri("/internal/customers/{c}/webhooks/{e}/secret-rotations", customer, endpointId)
                .header("Idempotency-Key", key).bodyValue(Map.of("previousSecretExpiresInSeconds", previousSecretExpiresIn))
                .exchange();
    }

    private void refused(String customer, Map<String, Object> body, String code) {
        http.post().uri("/internal/customers/{c}/webhooks", customer).bodyValue(body).exchange()
                .expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                .expectHeader().contentType("application/problem+json")
                .expectBody().jsonPath("$.code").isEqualTo(code)
                .jsonPath("$.type").isEqualTo("urn:qrvoucher:problem:" + code.toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    }

    private List<Endpoint> endpoints(String customer) {
        return http.get().uri("/internal/customers/{c}/webhooks", customer).exchange().expectStatus().isOk()
                .expectBody(new ParameterizedTypeReference<List<Endpoint>>() { }).returnResult().getResponseBody();
    }

    private List<Delivery> deliveries(String customer, String endpointId) {
        return http.get().uri("/internal/customers/{c}/webhooks/{e}/deliveries", customer, endpointId).exchange()
                .expectStatus().isOk().expectBody(new ParameterizedTypeReference<List<Delivery>>() { })
                .returnResult().getResponseBody();
    }

    private static Predicate<Delivery> delivered() {
        return delivery -> delivery.status().equals("DELIVERED");
    }

    private static Predicate<Delivery> givenUp() {
        return delivery -> delivery.status().equals("GIVEN_UP");
    }

    private void publish(VoucherEvent... events) {
        for (VoucherEvent event : events) {
            producer.send(new ProducerRecord<>(Topics.VOUCHER_EVENTS, event.getVoucherId(), EVENTS.encode(event)));
        }
        producer.flush();
    }

    /**
     * Until the group webhook-delivery has committed every partition's end: every event is recorded. A partition
     * no event was ever published to has no committed offset, and needs none.
     */
    private void awaitAllEventsRead() throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            var partitions = admin.describeTopics(List.of(Topics.VOUCHER_EVENTS)).allTopicNames().get()
                    .get(Topics.VOUCHER_EVENTS).partitions().stream()
                    .map(partition -> new org.apache.kafka.common.TopicPartition(Topics.VOUCHER_EVENTS, partition.partition()))
                    .collect(java.util.stream.Collectors.toMap(partition -> partition,
                            partition -> org.apache.kafka.clients.admin.OffsetSpec.latest()));
            await().atMost(BOUND).until(() -> {
                var committed = admin.listConsumerGroupOffsets("webhook-delivery").partitionsToOffsetAndMetadata().get();
                var ends = admin.listOffsets(partitions).all().get();
                return ends.entrySet().stream().allMatch(end -> {
                    var offset = committed.get(end.getKey());
                    return (offset == null ? 0 : offset.offset()) >= end.getValue().offset();
                });
            });
        }
    }
}
