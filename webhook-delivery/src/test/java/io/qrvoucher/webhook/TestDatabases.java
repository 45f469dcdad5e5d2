package io.qrvoucher.webhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.flywaydb.core.Flyway;
import org.springframework.test.context.DynamicPropertyRegistry;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * One real PostgreSQL server for the test run, started on first use, and a fresh database with the webhook
 * schema for each test class that asks for one. (The ledger adapter's tests have their own, for its schema.)
 */
public final class TestDatabases {

    /** Where the service's migrations are (spring.flyway.locations). */
    public static final String MIGRATIONS = "classpath:db/webhooks";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedPostgres server;

    private TestDatabases() {
    }

    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // the JVM is going away
                }
            }));
        }
        return server;
    }

    /** A new, empty database; returns its JDBC URL (user and password: postgres). */
    public static String newDatabase() {
        String name = "webhooks_" + COUNTER.incrementAndGet();
        try (Connection connection = server().getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return server().getJdbcUrl("postgres", name);
    }

    /** A new database with the webhook schema, migrated as the superuser. */
    public static String newMigratedDatabase() {
        String url = newDatabase();
        Flyway.configure().dataSource(url, "postgres", "postgres").locations(MIGRATIONS)
                .placeholders(Map.of("application_role", "postgres")).load().migrate();
        return url;
    }

    /** Points a test's service at this database (as the superuser, which owns it). */
    public static void register(DynamicPropertyRegistry registry, String jdbcUrl) {
        registry.add("spring.datasource.url", () -> jdbcUrl);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "postgres");
    }
}
