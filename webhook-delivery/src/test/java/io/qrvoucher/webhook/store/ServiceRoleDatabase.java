package io.qrvoucher.webhook.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import io.qrvoucher.database.TestDatabases;

/**
 * A new webhook database as production has it: owned and migrated by {@code webhook_owner}, used by the service
 * as {@code webhook_app}, which reads and writes rows and owns nothing.
 */
final class ServiceRoleDatabase {

    private ServiceRoleDatabase() {
    }

    /** A new migrated database; returns its JDBC URL, without a user. */
    static String create() throws SQLException {
        return create(MigrationVersion.LATEST);
    }

    /** A new database migrated as far as {@code version}, as the release that brought it left it. */
    static String create(String version) throws SQLException {
        return create(MigrationVersion.fromVersion(version));
    }

    private static String create(MigrationVersion version) throws SQLException {
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
        migrate(url, version);
        return url;
    }

    /** Migrates the database to the latest version, as an upgrade does. */
    static void migrate(String url) {
        migrate(url, MigrationVersion.LATEST);
    }

    private static void migrate(String url, MigrationVersion version) {
        Flyway.configure().dataSource(url, "webhook_owner", "owner").locations("classpath:db/webhooks")
                .placeholders(Map.of("application_role", "webhook_app")).target(version).load().migrate();
    }

    /** One connection to the database as the owner of the schema (what migrations run as). */
    static SingleConnectionDataSource asOwner(String url) {
        return new SingleConnectionDataSource(url, "webhook_owner", "owner", true);
    }

    /** One connection to the database as the service's role, open until destroyed. */
    static SingleConnectionDataSource asService(String url) {
        return new SingleConnectionDataSource(url, "webhook_app", "app", true);
    }
}
