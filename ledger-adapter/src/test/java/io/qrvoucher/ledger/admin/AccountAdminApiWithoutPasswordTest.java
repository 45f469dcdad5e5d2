package io.qrvoucher.ledger.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.keys.TestKeys;
import io.qrvoucher.ledger.LedgerDatabases;
import io.qrvoucher.ledger.AdapterBroker;
import io.qrvoucher.ledger.LedgerAdapterApplication;

/** A deployment that set no operator password: the admin API has no default one and refuses everyone. */
@SpringBootTest(classes = LedgerAdapterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=ledger-adapter", "ledger.admin.password=", "ledger.reconciliation.enabled=false",
                "internal-api.keys.k1=" + TestKeys.LEDGER_ADAPTER_INTERNAL_KEY})
@Import(AdapterBroker.class)
@DirtiesContext
class AccountAdminApiWithoutPasswordTest {

    private static final String DATABASE = LedgerDatabases.newLedger();

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabases.register(registry, DATABASE);
    }

    @Autowired
    JdbcClient jdbc;

    @LocalManagementPort
    int managementPort;

    @Test
    void withoutAConfiguredPasswordTheAdminApiRefusesEveryRequest() {
        WebTestClient management = WebTestClient.bindToServer().baseUrl("http://localhost:" + managementPort)
                .responseTimeout(Duration.ofSeconds(30)).build();
        for (String password : List.of("", "operator", "password")) {
            WebTestClient guesser = management.mutate().defaultHeaders(headers -> headers.setBasicAuth("operator", password))
                    .build();
            guesser.post().uri("/admin/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue("""
                            {"customerId": "quinn", "accountId": "quinn-cny", "currency": "CNY", "openingBalance": "1.00"}""")
                    .exchange()
                    .expectStatus().isUnauthorized()
                    .expectBody().jsonPath("$.code").isEqualTo("UNAUTHENTICATED");
            guesser.get().uri("/admin/accounts/quinn-cny").exchange().expectStatus().isUnauthorized().expectBody(Void.class);
        }

        assertThat(jdbc.sql("SELECT count(*) FROM accounts").query(Long.class).single()).isZero();
        management.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk().expectBody(Void.class);
    }
}
