package io.qrvoucher.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL with its files in one directory and a fixed port, so that it can be taken away
 * ({@link #stop()}: the services' connections fail) and brought back with all its data ({@link #start()}).
 */
final class LedgerDatabase implements AutoCloseable {

    private final Path directory;
    private final int port;
    private EmbeddedPostgres postgres;

    LedgerDatabase(Path directory, int port) {
        this.directory = directory;
        this.port = port;
    }

    LedgerDatabase start() {
        try {
            postgres = EmbeddedPostgres.builder().setDataDirectory(directory).setCleanDataDirectory(false)
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

    void stop() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port + "/ledger";
    }

    /** A client for the invariants' queries. */
    JdbcClient jdbc() {
        return JdbcClient.create(postgres.getDatabase("postgres", "ledger"));
    }

    @Override
    public void close() {
        stop();
    }
}
