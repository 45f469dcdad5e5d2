package io.qrvoucher.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL holding the {@code ledger} database, with its files in one directory and a fixed
 * port, so that it can be taken away ({@link #stop()}: the services' connections fail) and brought
 * back with all its data ({@link #start()}). The server's superuser is {@code postgres/postgres}.
 */
public final class LedgerDatabase implements AutoCloseable {

    private final Path directory;
    private final int port;
    private EmbeddedPostgres postgres;

    public LedgerDatabase(Path directory, int port) {
        this.directory = directory;
        this.port = port;
    }

    public LedgerDatabase start() {
        try {
            Files.createDirectories(directory);
            // The embedded server turns durability off by default (synchronous_commit, fsync): a crash
            // could then lose ledger commits whose results Kafka already has. Every ledger database
            // commits durably.
            postgres = EmbeddedPostgres.builder().setDataDirectory(directory).setCleanDataDirectory(false)
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("fsync", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setPort(port).start();
            try (Connection connection = postgres.getPostgresDatabase().getConnection();
                 Statement statement = connection.createStatement();
                 ResultSet exists = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = 'ledger'")) {
                if (!exists.next()) {
                    statement.execute("CREATE DATABASE ledger");
                }
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public void stop() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port + "/ledger";
    }

    /** A client of the ledger database, for checks and set-up. */
    public JdbcClient jdbc() {
        return JdbcClient.create(postgres.getDatabase("postgres", "ledger"));
    }

    @Override
    public void close() {
        stop();
    }
}
