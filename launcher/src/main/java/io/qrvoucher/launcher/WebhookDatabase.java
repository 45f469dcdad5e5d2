package io.qrvoucher.launcher;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The webhook delivery's own database, {@value #NAME}, in the PostgreSQL server of a {@link LedgerDatabase},
 * made as compose's PostgreSQL makes it beside the ledger ({@code postgres-webhooks-database.sh} of
 * webhook-delivery): owned by {@value #OWNER}, which runs the migrations, with the service's role
 * {@value #APPLICATION}, which may only read and write rows. Both roles get a new random password each time
 * it is made ready; the database and its rows stay in the server's data folder.
 */
public final class WebhookDatabase {

    public static final String NAME = "webhooks";
    public static final String OWNER = "webhook_owner";
    public static final String APPLICATION = "webhook_app";

    private final LedgerDatabase server;
    private final String ownerPassword = LedgerDatabase.randomPassword();
    private final String applicationPassword = LedgerDatabase.randomPassword();

    private WebhookDatabase(LedgerDatabase server) {
        this.server = server;
    }

    /** Makes the database and its roles in the running server, where they are missing, and sets the roles' passwords. */
    public static WebhookDatabase in(LedgerDatabase server) {
        WebhookDatabase database = new WebhookDatabase(server);
        database.prepare();
        return database;
    }

    private void prepare() {
        try (Connection connection = server.administration("postgres").getConnection();
             Statement statement = connection.createStatement()) {
            LedgerDatabase.createIfMissing(statement, NAME, OWNER, ownerPassword, APPLICATION, applicationPassword);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        // The owner's schema, so that its migrations create the tables there and grant on them.
        try (Connection connection = server.administration(NAME).getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("ALTER SCHEMA public OWNER TO " + OWNER);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public String jdbcUrl() {
        return server.jdbcUrl(NAME);
    }

    /** The password of the owner role, which runs the migrations, for this run. */
    public String ownerPassword() {
        return ownerPassword;
    }

    /** The password of the webhook delivery's role for this run. */
    public String applicationPassword() {
        return applicationPassword;
    }

    /** A client of the webhooks database as the superuser, for checks. */
    public JdbcClient jdbc() {
        return JdbcClient.create(server.administration(NAME));
    }
}
