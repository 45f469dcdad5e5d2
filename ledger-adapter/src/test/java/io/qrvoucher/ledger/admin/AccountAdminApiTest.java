package io.qrvoucher.ledger.admin;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.qrvoucher.ledger.AdapterBroker;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.ledger.TestDatabases;

/** The adapter's management port, as it runs: a real broker, a real PostgreSQL, both ports served. */
@SpringBootTest(classes = LedgerAdapterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.name=ledger-adapter")
@Import(AdapterBroker.class)
class AccountAdminApiTest {

    private static final String DATABASE = TestDatabases.newLedgerDatabase();

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabases.register(registry, DATABASE);
    }

    @LocalServerPort
    int apiPort;

    @LocalManagementPort
    int managementPort;

    @Test
    void theActuatorIsServedOnTheManagementPortAndNotOnTheInternalApiPort() {
        management().get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
        for (String endpoint : List.of("/actuator", "/actuator/health", "/actuator/prometheus")) {
            internalApi().get().uri(endpoint).exchange().expectStatus().isNotFound();
        }
    }

    private WebTestClient management() {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + managementPort).build();
    }

    private WebTestClient internalApi() {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + apiPort).build();
    }
}
