package io.qrvoucher.webhook.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import io.qrvoucher.database.TestDatabases;

/** The service connects as a role that reads and writes rows and owns nothing; the schema's owner migrates. */
class WebhookDatabaseTest {

    @Test
    void theServicesRoleWritesRowsAndRemovesEndpointsButCannotChangeTheSchema() throws Exception {
        // Without the embedded server's ?user=postgres, which would win over the roles given below.
        String url = TestDatabases.newDatabase("webhooks").replaceAll("\\?.*", "");
        String database = url.substring(url.lastIndexOf('/') + 1);
        try (Connection connection = TestDatabases.server().getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_owner') THEN "
                    + "CREATE ROLE webhook_owner LOGIN PASSWORD 'owner'; CREATE ROLE webhook_app LOGIN PASSWORD 'app'; END IF; END $$");
            statement.execute("ALTER DATABASE " + database + " OWNER TO webhook_owner");
        }
        try (Connection connection = TestDatabases.server().getDatabase("postgres", database).getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("ALTER SCHEMA public OWNER TO webhook_owner");
        }
        Flyway.configure().dataSource(url, "webhook_owner", "owner").locations("classpath:db/webhooks")
                .placeholders(Map.of("application_role", "webhook_app")).load().migrate();
        JdbcClient service = JdbcClient.create(new SingleConnectionDataSource(url, "webhook_app", "app", true));

        service.sql("INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, secret_key_id, "
                + "secret_ciphertext, idempotency_key, request_hash, created_at) VALUES ('e', 'alice', 'https://x.example/', "
                + "'{ISSUED}', 'k1', '\\x00', 'k', 'h', now())").update();
        service.sql("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status, "
                + "created_at, next_attempt_at) VALUES ('e', 'v/v2', 'ISSUED', 'v', '\\x00', 'PENDING', now(), now())").update();
        service.sql("INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code) "
                + "SELECT delivery_id, 1, now(), 5, 500 FROM webhook_deliveries").update();
        assertThat(service.sql("DELETE FROM webhook_endpoints WHERE endpoint_id = 'e'").update()).isEqualTo(1);
        assertThat(service.sql("SELECT count(*) FROM webhook_attempts").query(Long.class).single()).isZero();

        for (String ddl : List.of("DROP TABLE webhook_attempts", "ALTER TABLE webhook_deliveries DROP CONSTRAINT "
                + "webhook_deliveries_pending_are_due", "DELETE FROM webhook_attempts", "TRUNCATE webhook_deliveries")) {
            Throwable refused = catchThrowable(() -> service.sql(ddl).update());
            assertThat(refused).as(ddl).isNotNull();
            assertThat(NestedExceptionUtils.getMostSpecificCause(refused).getMessage()).as(ddl)
                    .containsAnyOf("permission denied", "must be owner");
        }
    }
}
