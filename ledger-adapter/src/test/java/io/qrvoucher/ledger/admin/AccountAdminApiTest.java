package io.qrvoucher.ledger.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.query.AccountList;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.keys.TestKeys;
import io.qrvoucher.ledger.LedgerDatabases;
import io.qrvoucher.ledger.AdapterBroker;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.ledger.core.Applied;
import io.qrvoucher.ledger.core.Ledger;
import io.qrvoucher.ledger.core.LedgerCommand.Freeze;
import io.qrvoucher.ledger.core.LedgerCommand.OwnAccount;
import io.qrvoucher.ledger.core.LedgerCommand.Transfer;
import io.qrvoucher.ledger.kafka.TopicReader;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.internal.InternalApi;
import reactor.core.publisher.Mono;

/**
 * The operators' admin API as it runs: on the management port of an adapter with a real broker and a
 * real PostgreSQL, behind HTTP Basic. Each test opens accounts of its own.
 */
@SpringBootTest(classes = LedgerAdapterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=ledger-adapter", "ledger.admin.password=" + AccountAdminApiTest.PASSWORD,
                "ledger.account-snapshots.publish=true", "internal-api.keys.k1=" + TestKeys.LEDGER_ADAPTER_INTERNAL_KEY,
                // One test pushes a capital account to the edge of what the books can count, which the sweeps would report.
                "ledger.reconciliation.enabled=false",
                // One test takes every connection: a transaction that cannot have one fails after a second.
                "spring.datasource.hikari.connection-timeout=1000",
                // One test holds an account a closing waits for (long enough that another's wait for a transfer in
                // progress is not cut short).
                "ledger.retry.statement-timeout=8s"})
@Import(AdapterBroker.class)
@DirtiesContext
class AccountAdminApiTest {

    static final String PASSWORD = "correct-horse-battery-staple";

    private static final String DATABASE = LedgerDatabases.newLedger();
    private static final AvroSerde<AccountSnapshot> SNAPSHOTS = AvroSerde.of(AccountSnapshot.class);

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabases.register(registry, DATABASE);
    }

    @Autowired
    TestBroker broker;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    DataSource dataSource;

    @Autowired
    Ledger ledger;

    @LocalServerPort
    int apiPort;

    @LocalManagementPort
    int managementPort;

    private TopicReader topics;

    @BeforeEach
    void readSnapshots() {
        topics = new TopicReader(broker.bootstrapServers(), "account-snapshots");
    }

    @AfterEach
    void stopReading() {
        topics.close();
    }

    @Test
    void anOperatorOpensAnAccountAndItsSnapshotReachesTheIngressTopic() {
        operator().post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue("""
                        {"customerId": "dave", "accountId": "dave-cny", "currency": "CNY", "openingBalance": "250.00",
                         "dailyOutwardLimit": "3000.00"}""")
                .exchange()
                .expectStatus().isCreated()
                .expectHeader().location("/admin/accounts/dave-cny")
                .expectBody()
                .jsonPath("$.accountId").isEqualTo("dave-cny")
                .jsonPath("$.customerId").isEqualTo("dave")
                .jsonPath("$.kind").isEqualTo("CUSTOMER")
                .jsonPath("$.currency").isEqualTo("CNY")
                .jsonPath("$.balance").isEqualTo("250.00")
                .jsonPath("$.available").isEqualTo("250.00")
                .jsonPath("$.dailyOutwardLimit").isEqualTo("3000.00")
                .jsonPath("$.status").isEqualTo("ACTIVE");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(topics.values("account-snapshots", "dave-cny", SNAPSHOTS::decode)).anySatisfy(dave -> {
                    assertThat(dave.getOwnerCustomerId()).isEqualTo("dave");
                    assertThat(dave.getCurrency()).isEqualTo("CNY");
                    assertThat(dave.getBalanceMinor()).isEqualTo(250_00L);
                    assertThat(dave.getDailyOutwardLimitMinor()).isEqualTo(3000_00L);
                }));
        // What the ingress asks when dave lists his accounts.
        byte[] daves = internalApi().get().uri("/internal/customers/dave/accounts").exchange()
                .expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(AvroSerde.of(AccountList.class).decode(daves).getItems())
                .extracting(AccountSnapshot::getAccountId, AccountSnapshot::getAvailableMinor)
                .containsExactly(tuple("dave-cny", 250_00L));
    }

    @Test
    void anOpeningBalanceIsABalancedJournalTransaction() {
        long capitalBefore = balanceOf("capital-eur");

        open("erin-eur", "erin", "EUR", "1234.56").expectStatus().isCreated().expectBody(Void.class);

        assertThat(jdbc.sql("""
                SELECT e.account_id || ' ' || e.amount_minor || ' ' || e.currency FROM journal_entries e
                JOIN journal_transactions t ON t.transaction_id = e.transaction_id
                WHERE t.kind = 'OPENING' AND t.command_id = 'opening/erin-eur' ORDER BY e.amount_minor""")
                .query(String.class).list()).containsExactly("capital-eur -123456 EUR", "erin-eur 123456 EUR");
        assertThat(balanceOf("capital-eur")).isEqualTo(capitalBefore - 1234_56L);
        assertThat(balanceOf("erin-eur")).isEqualTo(1234_56L);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(topics.values("account-snapshots", "capital-eur", SNAPSHOTS::decode))
                        .as("the capital account's new balance is published too")
                        .anySatisfy(capital -> assertThat(capital.getBalanceMinor()).isEqualTo(capitalBefore - 1234_56L)));
    }

    @Test
    void openingTheSameAccountTwiceIsIdempotent() {
        String first = open("fay-cny", "fay", "CNY", "10.00").expectStatus().isCreated()
                .expectBody(String.class).returnResult().getResponseBody();

        String again = open("fay-cny", "fay", "CNY", "10.00").expectStatus().isOk()
                .expectHeader().doesNotExist(HttpHeaders.LOCATION)
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(again).isEqualTo(first);
        assertThat(balanceOf("fay-cny")).isEqualTo(10_00L);
        assertThat(jdbc.sql("SELECT count(*) FROM journal_transactions WHERE command_id = 'opening/fay-cny'")
                .query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void openingAnOpenAccountOnOtherTermsIsAConflictThatChangesNothing() {
        open("gus-cny", "gus", "CNY", "10.00").expectStatus().isCreated().expectBody(Void.class);

        for (String other : List.of(
                """
                {"customerId": "gus", "accountId": "gus-cny", "currency": "CNY", "openingBalance": "10000.00"}""",
                """
                {"customerId": "mallory", "accountId": "gus-cny", "currency": "CNY", "openingBalance": "10.00"}""",
                """
                {"customerId": "gus", "accountId": "gus-cny", "currency": "USD", "openingBalance": "10.00"}""")) {
            operator().post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue(other).exchange()
                    .expectStatus().isEqualTo(HttpStatus.CONFLICT)
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.code").isEqualTo("ACCOUNT_OPEN_ON_OTHER_TERMS")
                    .jsonPath("$.type").isEqualTo("urn:qrvoucher:problem:account-open-on-other-terms");
        }
        assertThat(balanceOf("gus-cny")).isEqualTo(10_00L);
        assertThat(jdbc.sql("SELECT owner_customer_id FROM accounts WHERE account_id = 'gus-cny'").query(String.class).single())
                .isEqualTo("gus");
    }

    @Test
    void twoOperatorsOpeningTheSameAccountAtOnceOpenItOnce() {
        WebClient client = WebClient.builder().baseUrl("http://localhost:" + managementPort)
                .defaultHeaders(headers -> headers.setBasicAuth("operator", PASSWORD)).build();
        Mono<HttpStatus> opening = client.post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"customerId": "hal", "accountId": "hal-cny", "currency": "CNY", "openingBalance": "75.00"}""")
                .exchangeToMono(response -> Mono.just(HttpStatus.valueOf(response.statusCode().value())));

        List<HttpStatus> answers = Mono.zip(opening, opening, List::of).block(Duration.ofSeconds(30));

        assertThat(answers).containsExactlyInAnyOrder(HttpStatus.CREATED, HttpStatus.OK);
        assertThat(balanceOf("hal-cny")).isEqualTo(75_00L);
    }

    @Test
    void openingWithoutCredentialsIsRefused() {
        for (WebTestClient stranger : List.of(management(), asOperatorWith("wrong-password"))) {
            stranger.post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue("""
                            {"customerId": "ivan", "accountId": "ivan-cny", "currency": "CNY", "openingBalance": "1000000.00"}""")
                    .exchange()
                    .expectStatus().isUnauthorized()
                    .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"ledger-admin\"")
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED")
                    .jsonPath("$.instance").isEqualTo("/admin/accounts");
            stranger.get().uri("/admin/accounts?customerId=alice").exchange().expectStatus().isUnauthorized().expectBody(Void.class);
        }
        assertThat(jdbc.sql("SELECT count(*) FROM accounts WHERE account_id = 'ivan-cny'").query(Long.class).single()).isZero();
    }

    @Test
    void everyPathOnTheManagementPortButTheActuatorsNeedsTheOperatorHoweverItIsSpelt() {
        for (String path : List.of("/admin/accounts/alice-cny", "/%61dmin/accounts/alice-cny", "/admin/accounts/",
                "/ADMIN/accounts", "/anything")) {
            management().get().uri(URI.create("http://localhost:" + managementPort + path)).exchange()
                    .expectStatus().value(status -> assertThat(status).as(path).isEqualTo(401)).expectBody(Void.class);
        }
        // Spring Security's firewall refuses a path with an empty segment before anything else looks at it.
        management().get().uri(URI.create("http://localhost:" + managementPort + "/admin//accounts")).exchange()
                .expectStatus().isBadRequest().expectBody(Void.class);
    }

    @Test
    void aCustomersAccountsAreReadOnlyByACallTheIngressSealed() {
        open("quinn-cny", "quinn", "CNY", "1.00").expectStatus().isCreated().expectBody(Void.class);
        WebTestClient unsealed = WebTestClient.bindToServer().baseUrl("http://localhost:" + apiPort).build();
        unsealed.get().uri("/internal/customers/quinn/accounts?page=1").exchange().expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED")
                .jsonPath("$.instance").isEqualTo("/internal/customers/quinn/accounts");
        internalApi().get().uri("/internal/customers/quinn/accounts").exchange().expectStatus().isOk().expectBody(Void.class);
    }

    /** No customer has an id a token could not carry (a NUL the database refuses to compare): none of their accounts. */
    @Test
    void theAccountsOfAnIdNoCustomerCanHaveAreNone() {
        for (String id : List.of("a%00b", "x".repeat(256))) {
            byte[] none = internalApi().get().uri(URI.create("http://localhost:" + apiPort + "/internal/customers/" + id
                            + "/accounts")).exchange()
                    .expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody();
            assertThat(AvroSerde.of(AccountList.class).decode(none).getItems()).as(id).isEmpty();
        }
    }

    @Test
    void theAdminApiIsNotServedOnTheApiPort() {
        internalApi().post().uri("/admin/accounts").headers(headers -> headers.setBasicAuth("operator", PASSWORD))
                .contentType(MediaType.APPLICATION_JSON).bodyValue("""
                        {"customerId": "judy", "accountId": "judy-cny", "currency": "CNY", "openingBalance": "1.00"}""")
                .exchange().expectStatus().isNotFound().expectBody(Void.class);
        open("judy-cny", "judy", "CNY", "1.00").expectStatus().isCreated().expectBody(Void.class);

        internalApi().get().uri("/admin/accounts/judy-cny").headers(headers -> headers.setBasicAuth("operator", PASSWORD))
                .exchange().expectStatus().isNotFound().expectBody(Void.class);
    }

    @Test
    void theActuatorIsServedOnTheManagementPortWithoutCredentialsAndNotOnTheInternalApiPort() {
        management().get().uri("/actuator/health/readiness").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.components.internalApi.status").isEqualTo("UP");
        for (String endpoint : List.of("/actuator", "/actuator/health", "/actuator/prometheus")) {
            internalApi().get().uri(endpoint).exchange().expectStatus().isNotFound().expectBody(Void.class);
        }
    }

    @Test
    void aCurrencyThatIsNotIso4217IsRefusedWithAProblem() {
        for (String currency : List.of("ABC", "cny", "CNYX", "XAU", "XXX")) {
            open("kim-" + currency.toLowerCase(), "kim", currency, "1.00")
                    .expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.code").isEqualTo("UNSUPPORTED_CURRENCY")
                    .jsonPath("$.status").isEqualTo(422);
        }
        assertThat(jdbc.sql("SELECT count(*) FROM accounts WHERE owner_customer_id = 'kim'").query(Long.class).single()).isZero();
    }

    @Test
    void amountsAreExactAtTheScaleOfEachCurrency() {
        open("lea-jpy", "lea", "JPY", "1000").expectStatus().isCreated().expectBody().jsonPath("$.balance").isEqualTo("1000");
        open("lea-bhd", "lea", "BHD", "0.123").expectStatus().isCreated().expectBody().jsonPath("$.balance").isEqualTo("0.123");
        open("lea-cny", "lea", "CNY", "0.1").expectStatus().isCreated().expectBody().jsonPath("$.balance").isEqualTo("0.10");

        assertThat(balanceOf("lea-jpy")).isEqualTo(1000L);
        assertThat(balanceOf("lea-bhd")).isEqualTo(123L);
        assertThat(balanceOf("lea-cny")).isEqualTo(10L);
        open("lea-jpy-2", "lea", "JPY", "10.5").expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                .expectBody().jsonPath("$.code").isEqualTo("INVALID_AMOUNT");
    }

    @Test
    void badInputIsRefusedWithAProblemAndNeverAServerError() {
        record Refusal(String body, int status, String code) {
        }
        for (Refusal refusal : List.of(
                new Refusal("{not json", 400, "MALFORMED_REQUEST"),
                new Refusal("null", 400, "MALFORMED_REQUEST"),
                new Refusal("[]", 400, "MALFORMED_REQUEST"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-cny", "currency": "CNY", "openingbalance": "5.00"}""",
                        400, "MALFORMED_REQUEST"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-cny", "currency": "CNY", "openingBalance": {"amount": 5}}""",
                        400, "MALFORMED_REQUEST"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-cny", "currency": "CNY", "openingBalance": "2.50",
                         "openingBalance": "2500.00"}""", 400, "MALFORMED_REQUEST"),
                new Refusal("""
                        {"accountId": "max-cny", "currency": "CNY"}""", 422, "INVALID_CUSTOMER_ID"),
                new Refusal("""
                        {"customerId": "  ", "accountId": "max-cny", "currency": "CNY"}""", 422, "INVALID_CUSTOMER_ID"),
                new Refusal("""
                        {"customerId": "max\\u0007", "accountId": "max-cny", "currency": "CNY"}""", 422,
                        "INVALID_CUSTOMER_ID"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max cny", "currency": "CNY"}""", 422, "INVALID_ACCOUNT_ID"),
                new Refusal("""
                        {"customerId": "max", "accountId": "capital-cny", "currency": "CNY"}""", 422, "INVALID_ACCOUNT_ID"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-cny"}""", 422, "UNSUPPORTED_CURRENCY"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-cny", "currency": "CNY", "openingBalance": "-5.00"}""",
                        422, "INVALID_AMOUNT"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-cny", "currency": "CNY", "openingBalance": "5.001"}""",
                        422, "INVALID_AMOUNT"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-cny", "currency": "CNY", "openingBalance": "1e3"}""",
                        422, "INVALID_AMOUNT"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-cny", "currency": "CNY", "dailyOutwardLimit": "lots"}""",
                        422, "INVALID_AMOUNT"),
                new Refusal("""
                        {"customerId": "max", "accountId": "max-clf", "currency": "CLF", "openingBalance": "999999999999999.9999"}""",
                        422, "INVALID_AMOUNT"))) {
            operator().post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue(refusal.body())
                    .exchange()
                    .expectStatus().isEqualTo(refusal.status())
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.code").isEqualTo(refusal.code());
        }
        operator().post().uri("/admin/accounts").contentType(MediaType.APPLICATION_FORM_URLENCODED)
                .bodyValue("customerId=max&accountId=max-cny&currency=CNY").exchange()
                .expectStatus().isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE)
                .expectBody().jsonPath("$.code").isEqualTo("UNSUPPORTED_MEDIA_TYPE");
        // Past what the server reads of a body (256 KB by default).
        operator().post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"customerId\": \"max\", \"accountId\": \"max-cny\", \"currency\": \"CNY\", \"note\": \""
                        + "x".repeat(300 * 1024) + "\"}").exchange()
                .expectStatus().isEqualTo(413)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(jdbc.sql("SELECT count(*) FROM accounts WHERE owner_customer_id = 'max'").query(Long.class).single()).isZero();
    }

    @Test
    void anOpeningBalanceTheBooksCannotHoldIsRefusedAndChangesNothing() {
        open("nia-chf", "nia", "CHF", "1.00").expectStatus().isCreated().expectBody(Void.class);
        // The capital account has funded as much as a bigint can count, all but a few centimes.
        jdbc.sql("UPDATE accounts SET balance_minor = :edge WHERE account_id = 'capital-chf'")
                .param("edge", Long.MIN_VALUE + 5).update();

        open("oli-chf", "oli", "CHF", "1.00").expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                .expectBody().jsonPath("$.code").isEqualTo("AMOUNT_OUT_OF_RANGE");

        assertThat(jdbc.sql("SELECT count(*) FROM accounts WHERE account_id = 'oli-chf'").query(Long.class).single()).isZero();
        assertThat(balanceOf("capital-chf")).isEqualTo(Long.MIN_VALUE + 5);
    }

    /**
     * A transaction that cannot begin for want of a connection is the database not answering, not a server error:
     * for the operator's calls and for the ingress's reads alike.
     */
    @Test
    void anOpeningOrClosingWhileTheDatabaseGivesNoConnectionIsRefusedForNowAndChangesNothing() throws Exception {
        open("ida-cny", "ida", "CNY", null).expectStatus().isCreated().expectBody(Void.class);
        List<Connection> taken = new ArrayList<>();
        try {
            try {
                for (int i = 0; i < 100; i++) {
                    taken.add(dataSource.getConnection());
                }
            } catch (SQLException poolExhausted) {
                // every connection is taken
            }
            for (WebTestClient.ResponseSpec refused : List.of(open("jon-cny", "jon", "CNY", "1.00"), close("ida-cny"),
                    internalApi().get().uri("/internal/customers/ida/accounts").exchange())) {
                refused.expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                        .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "1")
                        .expectBody().jsonPath("$.code").isEqualTo("LEDGER_UNAVAILABLE");
            }
        } finally {
            for (Connection connection : taken) {
                connection.close();
            }
        }
        assertThat(statusOf("ida-cny")).isEqualTo("ACTIVE");
        assertThat(jdbc.sql("SELECT count(*) FROM accounts WHERE account_id = 'jon-cny'").query(Long.class).single()).isZero();
    }

    /**
     * A closing waits for an account another transaction holds (a session left open, a stuck one) only as long as a
     * command's statement may: then it is refused for now, and its connection goes back to the pool. It waited for
     * as long as the account was held.
     */
    @Test
    void aClosingOfAnAccountAnotherTransactionHoldsIsRefusedForNowAfterTheStatementTimeout() throws Exception {
        open("lou-cny", "lou", "CNY", null).expectStatus().isCreated().expectBody(Void.class);
        try (Connection holder = dataSource.getConnection()) {
            holder.setAutoCommit(false);
            holder.createStatement().execute("SELECT 1 FROM accounts WHERE account_id = 'lou-cny' FOR UPDATE");
            close("lou-cny").expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                    .expectBody().jsonPath("$.code").isEqualTo("LEDGER_UNAVAILABLE");
            holder.rollback();
        }
        assertThat(statusOf("lou-cny")).isEqualTo("ACTIVE");
    }

    @Test
    void anOperatorReadsAnAccountAndACustomersAccounts() {
        open("pia-cny", "pia", "CNY", "5.00").expectStatus().isCreated().expectBody(Void.class);
        open("pia-usd", "pia", "USD", null).expectStatus().isCreated().expectBody(Void.class);

        operator().get().uri("/admin/accounts/pia-cny").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.customerId").isEqualTo("pia").jsonPath("$.balance").isEqualTo("5.00")
                .jsonPath("$.dailyOutwardLimit").isEqualTo("50000.00");
        operator().get().uri("/admin/accounts?customerId=pia").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$[*].accountId").isEqualTo(List.of("pia-cny", "pia-usd"))
                .jsonPath("$[1].balance").isEqualTo("0.00");
        operator().get().uri("/admin/accounts/nobody-cny").exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("NOT_FOUND");
        operator().get().uri("/admin/accounts").exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.code").isEqualTo("MALFORMED_REQUEST");
        // Text no id can hold, a NUL the database would refuse among it, names nothing: it is not asked.
        String accounts = "http://localhost:" + managementPort + "/admin/accounts";
        for (String notAnId : List.of("%00", "pia%00-cny", "x".repeat(101))) {
            // The server itself refuses a NUL in a path (400); what it passes on is not found.
            operator().get().uri(URI.create(accounts + "/" + notAnId)).exchange().expectStatus().is4xxClientError().expectBody(Void.class);
            operator().delete().uri(URI.create(accounts + "/" + notAnId)).exchange().expectStatus().is4xxClientError().expectBody(Void.class);
            operator().get().uri(URI.create(accounts + "?customerId=" + notAnId)).exchange()
                    .expectStatus().isOk().expectBody().json("[]");
        }
        operator().get().uri(URI.create(accounts + "/" + "x".repeat(101))).exchange().expectStatus().isNotFound().expectBody(Void.class);
    }

    /** The ingress takes a token's subject as the identity provider made it: such a customer can be given accounts. */
    @Test
    void aCustomerNamedAsTheirIdentityProviderNamesThemIsGivenAnAccount() {
        String subject = "auth0|65f1c0ffee/team+one@example.com";
        operator().post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("customerId", subject, "accountId", "idp-cny", "currency", "CNY")).exchange()
                .expectStatus().isCreated()
                .expectBody().jsonPath("$.customerId").isEqualTo(subject);

        operator().get().uri(uri -> uri.path("/admin/accounts").queryParam("customerId", "{customer}").build(subject))
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$[*].accountId").isEqualTo(List.of("idp-cny"));
    }

    @Test
    void anOperatorClosesAnEmptyAccountWhichThenTakesNoFreezeNorTransfer() {
        open("rae-cny", "rae", "CNY", null).expectStatus().isCreated().expectBody(Void.class);
        open("sam-cny", "sam", "CNY", "20.00").expectStatus().isCreated().expectBody(Void.class);

        close("rae-cny").expectStatus().isOk()
                .expectBody().jsonPath("$.accountId").isEqualTo("rae-cny").jsonPath("$.status").isEqualTo("CLOSED");

        assertThat(statusOf("rae-cny")).isEqualTo("CLOSED");
        assertThat(ledger.apply(new Freeze("r1/freeze", "r1", "rae", "rae-cny", 1, "CNY")))
                .extracting(Applied::outcome, Applied::reason)
                .containsExactly(Applied.Outcome.FREEZE_REFUSED, "ACCOUNT_NOT_ACTIVE");
        assertThat(ledger.apply(new Freeze("r2/freeze", "r2", "sam", "sam-cny", 5_00, "CNY")).outcome())
                .isEqualTo(Applied.Outcome.FROZEN);
        assertThat(ledger.apply(new Transfer("r2/transfer", "r2", 5_00, "CNY", "rae", new OwnAccount("rae-cny"))))
                .extracting(Applied::outcome, Applied::reason)
                .containsExactly(Applied.Outcome.TRANSFER_FAILED, "DESTINATION_NOT_ACTIVE");
        assertThat(balanceOf("rae-cny")).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(topics.values("account-snapshots", "rae-cny", SNAPSHOTS::decode))
                        .as("the closed account's snapshot is published")
                        .anySatisfy(rae -> assertThat(rae.getStatus()).isEqualTo("CLOSED")));
    }

    @Test
    void closingAClosedAccountAnswersItAgainAndItsIdIsNotOpenedAgain() {
        open("tia-cny", "tia", "CNY", null).expectStatus().isCreated().expectBody(Void.class);
        String first = close("tia-cny").expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        long version = versionOf("tia-cny");

        String again = close("tia-cny").expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();

        assertThat(again).isEqualTo(first);
        assertThat(versionOf("tia-cny")).isEqualTo(version);
        open("tia-cny", "tia", "CNY", null).expectStatus().isEqualTo(HttpStatus.CONFLICT)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("ACCOUNT_CLOSED");
        assertThat(statusOf("tia-cny")).isEqualTo("CLOSED");
    }

    @Test
    void closingAnAccountWithABalanceIsRefusedAndChangesNothing() {
        open("uma-cny", "uma", "CNY", "0.01").expectStatus().isCreated().expectBody(Void.class);
        long version = versionOf("uma-cny");

        close("uma-cny").expectStatus().isEqualTo(HttpStatus.CONFLICT)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.code").isEqualTo("ACCOUNT_HAS_BALANCE")
                .jsonPath("$.type").isEqualTo("urn:qrvoucher:problem:account-has-balance")
                .jsonPath("$.status").isEqualTo(409);

        assertThat(statusOf("uma-cny")).isEqualTo("ACTIVE");
        assertThat(versionOf("uma-cny")).isEqualTo(version);
        assertThat(balanceOf("uma-cny")).isEqualTo(1L);
        assertThat(ledger.apply(new Freeze("u1/freeze", "u1", "uma", "uma-cny", 1, "CNY")).outcome())
                .isEqualTo(Applied.Outcome.FROZEN);
    }

    @Test
    void closingAnAccountWithMoneyHeldIsRefused() {
        open("vic-cny", "vic", "CNY", "30.00").expectStatus().isCreated().expectBody(Void.class);
        // All of it held: nothing is available, but the voucher may still pay it out.
        assertThat(ledger.apply(new Freeze("v1/freeze", "v1", "vic", "vic-cny", 30_00, "CNY")).outcome())
                .isEqualTo(Applied.Outcome.FROZEN);

        close("vic-cny").expectStatus().isEqualTo(HttpStatus.CONFLICT)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("ACCOUNT_HAS_HOLDS");

        assertThat(statusOf("vic-cny")).isEqualTo("ACTIVE");
    }

    @Test
    void aClosingWaitsForATransferIntoTheAccountInProgressAndThenFindsItsMoney() throws Exception {
        open("wes-cny", "wes", "CNY", "40.00").expectStatus().isCreated().expectBody(Void.class);
        open("zoe-cny", "zoe", "CNY", null).expectStatus().isCreated().expectBody(Void.class);
        assertThat(ledger.apply(new Freeze("w1/freeze", "w1", "wes", "wes-cny", 40_00, "CNY")).outcome())
                .isEqualTo(Applied.Outcome.FROZEN);
        // A transfer into the empty account that has locked it and credited it, not committed yet.
        try (Connection paying = dataSource.getConnection()) {
            paying.setAutoCommit(false);
            try (PreparedStatement transfer = paying.prepareStatement("""
                    SELECT outcome FROM ledger_transfer('w1/transfer', 'w1', 4000, 'CNY', 'zoe', 'zoe-cny',
                                                        NULL, NULL, NULL, ?)""")) {
                transfer.setTimestamp(1, Timestamp.from(Instant.now()));
                try (ResultSet result = transfer.executeQuery()) {
                    assertThat(result.next()).isTrue();
                    assertThat(result.getString("outcome")).isEqualTo("TRANSFERRED");
                }
            }
            CompletableFuture<String> closing = operatorClient().delete().uri("/admin/accounts/zoe-cny")
                    .exchangeToMono(response -> response.bodyToMono(String.class)).toFuture();

            // Read before the transfer commits, the account would look empty: the closing must wait for its lock.
            // A row lock held by another transaction is waited for on that transaction's id, a lock not yet granted.
            await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'")
                    .query(Long.class).single() > 0);
            assertThat(closing).as("the closing waits for the transfer's lock").isNotDone();
            paying.commit();

            assertThat(closing.get(30, TimeUnit.SECONDS)).contains("\"code\":\"ACCOUNT_HAS_BALANCE\"");
        }
        assertThat(statusOf("zoe-cny")).isEqualTo("ACTIVE");
        assertThat(balanceOf("zoe-cny")).isEqualTo(40_00L);
    }

    @Test
    void closingAnUnknownAccountIsNotFoundAndTheBanksOwnAreNeverClosed() {
        close("nobody-cny").expectStatus().isNotFound()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("NOT_FOUND");
        // Opens the bank's accounts in CNY, whichever test runs first.
        open("xia-cny", "xia", "CNY", null).expectStatus().isCreated().expectBody(Void.class);

        for (String bank : List.of("capital-cny", "clearing-cny")) {
            close(bank).expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                    .expectBody().jsonPath("$.code").isEqualTo("NOT_A_CUSTOMER_ACCOUNT");
            assertThat(statusOf(bank)).isEqualTo("ACTIVE");
        }
        assertThat(jdbc.sql("SELECT count(*) FROM accounts WHERE account_id = 'nobody-cny'").query(Long.class).single())
                .isZero();
    }

    @Test
    void closingWithoutCredentialsIsRefused() {
        open("yan-cny", "yan", "CNY", null).expectStatus().isCreated().expectBody(Void.class);

        for (WebTestClient stranger : List.of(management(), asOperatorWith("wrong-password"))) {
            stranger.delete().uri("/admin/accounts/yan-cny").exchange()
                    .expectStatus().isUnauthorized()
                    .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"ledger-admin\"")
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");
        }
        assertThat(statusOf("yan-cny")).isEqualTo("ACTIVE");
        internalApi().delete().uri("/admin/accounts/yan-cny").headers(headers -> headers.setBasicAuth("operator", PASSWORD))
                .exchange().expectStatus().isNotFound().expectBody(Void.class);
        assertThat(statusOf("yan-cny")).isEqualTo("ACTIVE");
    }

    private WebTestClient.ResponseSpec close(String accountId) {
        return operator().delete().uri("/admin/accounts/" + accountId).exchange();
    }

    private String statusOf(String accountId) {
        return jdbc.sql("SELECT status FROM accounts WHERE account_id = :id").param("id", accountId)
                .query(String.class).single();
    }

    private long versionOf(String accountId) {
        return jdbc.sql("SELECT version FROM accounts WHERE account_id = :id").param("id", accountId)
                .query(Long.class).single();
    }

    private WebClient operatorClient() {
        return WebClient.builder().baseUrl("http://localhost:" + managementPort)
                .defaultHeaders(headers -> headers.setBasicAuth("operator", PASSWORD)).build();
    }

    private WebTestClient.ResponseSpec open(String accountId, String customerId, String currency, String openingBalance) {
        String balance = openingBalance == null ? "" : ", \"openingBalance\": \"" + openingBalance + "\"";
        return operator().post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"customerId\": \"" + customerId + "\", \"accountId\": \"" + accountId
                        + "\", \"currency\": \"" + currency + "\"" + balance + "}")
                .exchange();
    }

    private long balanceOf(String accountId) {
        return jdbc.sql("SELECT coalesce(max(balance_minor), 0) FROM accounts WHERE account_id = :id")
                .param("id", accountId).query(Long.class).single();
    }

    private WebTestClient operator() {
        return asOperatorWith(PASSWORD);
    }

    private WebTestClient asOperatorWith(String password) {
        return management().mutate().defaultHeaders(headers -> headers.setBasicAuth("operator", password)).build();
    }

    private WebTestClient management() {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + managementPort)
                .responseTimeout(Duration.ofSeconds(30)).build();
    }

    private WebTestClient internalApi() {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + apiPort)
                .filter(InternalApi.Callee.withKey(TestKeys.LEDGER_ADAPTER_INTERNAL_KEY).sealedCalls())
                .responseTimeout(Duration.ofSeconds(30)).build();
    }
}
