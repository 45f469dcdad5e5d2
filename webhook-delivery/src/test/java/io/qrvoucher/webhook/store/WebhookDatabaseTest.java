package io.qrvoucher.webhook.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.sql.SQLException;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/** The service connects as a role that reads and writes rows and owns nothing; the schema's owner migrates. */
class WebhookDatabaseTest {

    @Test
    void theServicesRoleWritesRowsAndRemovesEndpointsButCannotChangeTheSchema() throws Exception {
        String url = ServiceRoleDatabase.create();
        JdbcClient service = JdbcClient.create(ServiceRoleDatabase.asService(url));

        service.sql("INSERT INTO webhook_endpoints (endpoint_id, customer_id, url, event_types, secret_key_id, "
                + "secret_ciphertext, idempotency_key, request_hash, created_at) VALUES ('e', 'alice', 'https://x.example/', "
                + "'{ISSUED}', 'k1', '\\x00', 'k', 'h', now())").update();
        service.sql("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, voucher_id, payload, status, "
                + "created_at, next_attempt_at) VALUES ('e', 'v/v2', 'ISSUED', 'v', '\\x00', 'PENDING', now(), now())").update();
        service.sql("INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code) "
                + "SELECT delivery_id, 1, now(), 5, 500 FROM webhook_deliveries").update();
        assertThat(service.sql("SELECT count(*) FROM webhook_endpoint_heads").query(Long.class).single()).isEqualTo(1);
        assertThat(service.sql("DELETE FROM webhook_endpoints WHERE endpoint_id = 'e'").update()).isEqualTo(1);
        assertThat(service.sql("SELECT count(*) FROM webhook_attempts").query(Long.class).single()).isZero();
        assertThat(service.sql("SELECT count(*) FROM webhook_endpoint_heads").query(Long.class).single()).isZero();

        for (String ddl : List.of("DROP TABLE webhook_attempts", "DROP TABLE webhook_signing_secrets", "DROP TABLE webhook_endpoint_heads", "ALTER TABLE webhook_deliveries DROP CONSTRAINT "
                + "webhook_deliveries_pending_are_due", "DELETE FROM webhook_attempts", "TRUNCATE webhook_deliveries")) {
            Throwable refused = catchThrowable(() -> service.sql(ddl).update());
            assertThat(refused).as(ddl).isNotNull();
            assertThat(NestedExceptionUtils.getMostSpecificCause(refused).getMessage()).as(ddl)
                    .containsAnyOf("permission denied", "must be owner");
        }
    }

    /**
     * Deleting a delivery (the retention sweep, an endpoint's removal) cascades to its resends by {@code resend_of}: an
     * index finds them, where each deleted delivery was a scan of every customer's deliveries.
     */
    @Test
    void aDeliverysResendsAreFoundThroughAnIndexWhenItIsDeleted() throws SQLException {
        String url = ServiceRoleDatabase.create();
        try (SingleConnectionDataSource connection = ServiceRoleDatabase.asService(url)) {
            JdbcClient service = JdbcClient.create(connection);
            service.sql("SET enable_seqscan = off").update();

            String plan = String.join("\n", service.sql("EXPLAIN SELECT 1 FROM webhook_deliveries WHERE resend_of = 42")
                    .query(String.class).list());

            assertThat(plan).contains("webhook_deliveries_resend_of");
        }
    }

    /** The resends' index V8 needs, built by hand beforehand (CONCURRENTLY) and failed: the upgrade stops, naming it. */
    @Test
    void anInvalidResendsIndexBuiltBeforeTheUpgradeStopsIt() throws SQLException {
        String url = ServiceRoleDatabase.create("7");
        try (SingleConnectionDataSource owner = ServiceRoleDatabase.asOwner(url)) {
            JdbcClient.create(owner).sql("CREATE INDEX webhook_deliveries_resend_of ON webhook_deliveries (resend_of) "
                    + "WHERE resend_of IS NOT NULL").update();
        }
        try (SingleConnectionDataSource superuser = new SingleConnectionDataSource(url, "postgres", "postgres", true)) {
            JdbcClient.create(superuser).sql("UPDATE pg_index SET indisvalid = false "
                    + "WHERE indexrelid = 'webhook_deliveries_resend_of'::regclass").update();
        }

        assertThatThrownBy(() -> ServiceRoleDatabase.migrate(url))
                .hasStackTraceContaining("webhook_deliveries_resend_of is invalid");
    }
}
