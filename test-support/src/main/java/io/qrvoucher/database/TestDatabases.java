package io.qrvoucher.database;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.flywaydb.core.Flyway;
import org.springframework.test.context.DynamicPropertyRegistry;

import com.zaxxer.hikari.HikariDataSource;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * One real PostgreSQL server for the whole test run, started on first use and durable as production's
 * ({@code synchronous_commit} and {@code fsync} on), and a fresh database for each test that asks for one.
 */
public final class TestDatabases {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedPostgres server;

    private TestDatabases() {
    }

    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().setServerConfig("synchronous_commit", "on")
                        .setServerConfig("fsync", "on").start();
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

    /** A new, empty database named after {@code prefix}; returns its JDBC URL (user and password: postgres). */
    public static String newDatabase(String prefix) {
        String name = prefix + "_" + COUNTER.incrementAndGet();
        try (Connection connection = server().getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return server().getJdbcUrl("postgres", name);
    }

    /**
     * A new database with a service's schema, migrated as the superuser, which also plays the service's role.
     *
     * @param migrations the service's {@code spring.flyway.locations}, e.g. {@code classpath:db/migration}
     */
    public static String newMigratedDatabase(String prefix, String migrations) {
        String url = newDatabase(prefix);
        Flyway.configure().dataSource(url, "postgres", "postgres").locations(migrations)
                .placeholders(Map.of("application_role", "postgres")).load().migrate();
        return url;
    }

    /** Points a test's service at this database (as the superuser, which owns it). */
    public static void register(DynamicPropertyRegistry registry, String jdbcUrl) {
        registry.add("spring.datasource.url", () -> jdbcUrl);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "postgres");
    }

    /** A small connection pool on the database; close it when done. */
    public static HikariDataSource dataSource(String jdbcUrl) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(jdbcUrl);
        dataSource.setUsername("postgres");
        dataSource.setPassword("postgres");
        dataSource.setMaximumPoolSize(12);
        return dataSource;
    }
}
