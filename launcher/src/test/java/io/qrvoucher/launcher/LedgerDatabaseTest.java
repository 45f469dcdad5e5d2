package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.qrvoucher.ports.FreePorts;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

class LedgerDatabaseTest {

    private static final String SUPERUSER_PASSWORD = "kept-in-secrets-properties";

    /** A crash must not lose a ledger commit whose result Kafka already has. */
    @Test
    void theLedgersDatabaseCommitsDurably(@TempDir Path directory) {
        try (LedgerDatabase database = new LedgerDatabase(directory, FreePorts.next()).start()) {
            assertThat(database.jdbc().sql("SHOW synchronous_commit").query(String.class).single()).isEqualTo("on");
            assertThat(database.jdbc().sql("SHOW fsync").query(String.class).single()).isEqualTo("on");
            assertThat(database.jdbc().sql("SHOW full_page_writes").query(String.class).single()).isEqualTo("on");
        }
    }

    /**
     * Any user of the machine can reach the server's port and socket: no role, the superuser least, gets in without
     * its password (a new folder used to trust every local connection as any role).
     */
    @Test
    void noRoleConnectsWithoutItsPassword(@TempDir Path directory) {
        try (LedgerDatabase database = new LedgerDatabase(directory, FreePorts.next(), SUPERUSER_PASSWORD).start()) {
            assertRefusedWithout(database, LedgerDatabase.SUPERUSER, SUPERUSER_PASSWORD);
            assertRefusedWithout(database, LedgerDatabase.APPLICATION, database.applicationPassword());
        }
    }

    /** A data folder made before the server asked for passwords asks for them from its next start on. */
    @Test
    void aFolderThatTrustedLocalConnectionsAsksForPasswordsFromItsNextStart(@TempDir Path directory) throws Exception {
        int port = FreePorts.next();
        try (EmbeddedPostgres trusting = EmbeddedPostgres.builder().setDataDirectory(directory)
                .setCleanDataDirectory(false).setPort(port).start()) {
            assertThat(Files.readString(directory.resolve("pg_hba.conf"))).contains("trust");
        }
        try (LedgerDatabase database = new LedgerDatabase(directory, port, SUPERUSER_PASSWORD).start()) {
            assertRefusedWithout(database, LedgerDatabase.SUPERUSER, SUPERUSER_PASSWORD);
            assertRefusedWithout(database, LedgerDatabase.OWNER, database.ownerPassword());
        }
    }

    /** A folder kept from a run whose superuser had another password refuses this start, and says where to look. */
    @Test
    void aFolderRefusesAStartWithAnotherSuperuserPassword(@TempDir Path directory) {
        int port = FreePorts.next();
        new LedgerDatabase(directory, port, SUPERUSER_PASSWORD).start().close();

        assertThatThrownBy(() -> new LedgerDatabase(directory, port, "another").start())
                .hasMessageContaining("refuses the superuser's password").hasMessageContaining("secrets.properties");
    }

    private static void assertRefusedWithout(LedgerDatabase database, String role, String password) {
        for (String name : List.of("postgres", "ledger")) {
            String url = database.jdbcUrl(name);
            assertThatThrownBy(() -> DriverManager.getConnection(url, role, "").close()).as(role + " without a password")
                    .isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> DriverManager.getConnection(url, role, password + "x").close())
                    .as(role + " with a wrong password").hasMessageContaining("password authentication failed");
        }
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), role, password)) {
            assertThat(connection.isValid(5)).as(role + " with its password").isTrue();
        } catch (SQLException e) {
            throw new AssertionError(role + " with its password was refused", e);
        }
    }

    /**
     * The server outlives a run killed with {@code kill -9} (or by the out-of-memory killer), holding the port and the
     * data folder: the next start stops it and starts its own on the same data, which it stops at its end (it used
     * to take the one left for its own and leave it running for ever).
     */
    @Test
    void aStartAfterAKilledRunStopsTheServerItLeftAndKeepsItsData(@TempDir Path directory) throws Exception {
        int port = FreePorts.next();
        Process killedRun = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DatabaseOfAKilledRun.class.getName(),
                directory.toString(), Integer.toString(port), SUPERUSER_PASSWORD).redirectErrorStream(true).start();
        ProcessHandle leftOver = null;
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(killedRun.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() ->
                    output.lines().anyMatch(DatabaseOfAKilledRun.READY::equals));
            assertThat(ready.get(120, TimeUnit.SECONDS)).as("the first run's database started").isTrue();
            killedRun.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            leftOver = ProcessHandle.of(Long.parseLong(Files.readAllLines(directory.resolve("postmaster.pid")).get(0).trim()))
                    .orElseThrow();
            assertThat(leftOver.isAlive()).as("the killed run's server outlives it").isTrue();

            try (LedgerDatabase database = new LedgerDatabase(directory, port, SUPERUSER_PASSWORD).start()) {
                assertThat(database.jdbc().sql("SELECT count(*) FROM pg_roles WHERE rolname = :owner")
                        .param("owner", LedgerDatabase.OWNER).query(Long.class).single()).isEqualTo(1L);
            }
            assertThat(leftOver.isAlive()).isFalse();
        } finally {
            killedRun.destroyForcibly();
            if (leftOver != null) {
                leftOver.destroyForcibly();
            }
        }
    }

    /**
     * The ledger adapter's role reads and writes rows; it cannot take away the balance trigger or a table, nor change
     * the journal or the record of applied commands, which are only ever added to.
     */
    @Test
    void theServicesRoleWritesRowsButCannotChangeTheSchema(@TempDir Path directory) {
        try (LedgerDatabase database = new LedgerDatabase(directory, FreePorts.next()).start()) {
            org.flywaydb.core.Flyway.configure()
                    .dataSource(database.jdbcUrl(), LedgerDatabase.OWNER, database.ownerPassword())
                    .placeholders(java.util.Map.of("application_role", LedgerDatabase.APPLICATION))
                    .load().migrate();
            org.springframework.jdbc.core.simple.JdbcClient service = org.springframework.jdbc.core.simple.JdbcClient.create(
                    new org.springframework.jdbc.datasource.SingleConnectionDataSource(database.jdbcUrl(),
                            LedgerDatabase.APPLICATION, database.applicationPassword(), true));

            service.sql("INSERT INTO accounts (account_id, owner_customer_id, kind, currency, balance_minor, status) "
                    + "VALUES ('a', 'alice', 'CUSTOMER', 'CNY', 100, 'ACTIVE')").update();
            assertThat(service.sql("SELECT balance_minor FROM accounts WHERE account_id = 'a'").query(Long.class).single())
                    .isEqualTo(100L);
            for (String ddl : List.of("DROP TRIGGER journal_entries_balance ON journal_entries",
                    "ALTER TABLE accounts DROP CONSTRAINT customer_available_not_negative",
                    "DROP TABLE processed_commands", "DELETE FROM journal_entries", "TRUNCATE holds",
                    "UPDATE journal_entries SET amount_minor = 0", "UPDATE journal_transactions SET voucher_id = 'x'",
                    "UPDATE processed_commands SET command_id = 'x'")) {
                assertThatThrownBy(() -> service.sql(ddl).update()).as(ddl).satisfies(refused ->
                        assertThat(org.springframework.core.NestedExceptionUtils.getMostSpecificCause(refused).getMessage())
                                .containsAnyOf("permission denied", "must be owner"));
            }
        }
    }

    /**
     * The check that a journal transaction balances reads the journal itself: a temporary table of the same name,
     * read in its place, let an unbalanced transaction through. The service's role may make no temporary table, and
     * one the owner makes is not read.
     */
    @Test
    void noTemporaryTableStandsInForTheJournalWhenItsBalanceIsChecked(@TempDir Path directory) throws SQLException {
        try (LedgerDatabase database = new LedgerDatabase(directory, FreePorts.next(), SUPERUSER_PASSWORD).start()) {
            org.flywaydb.core.Flyway.configure()
                    .dataSource(database.jdbcUrl(), LedgerDatabase.OWNER, database.ownerPassword())
                    .placeholders(java.util.Map.of("application_role", LedgerDatabase.APPLICATION))
                    .load().migrate();
            try (Connection service = DriverManager.getConnection(database.jdbcUrl(), LedgerDatabase.APPLICATION,
                    database.applicationPassword())) {
                assertThatThrownBy(() -> service.createStatement().execute(
                        "CREATE TEMP TABLE journal_entries (transaction_id bigint, currency text, amount_minor bigint)"))
                        .hasMessageContaining("permission denied");
            }
            try (Connection owner = DriverManager.getConnection(database.jdbcUrl(), LedgerDatabase.OWNER,
                    database.ownerPassword())) {
                owner.setAutoCommit(false);
                Statement statement = owner.createStatement();
                statement.execute("CREATE TEMP TABLE journal_entries (transaction_id bigint, currency text, "
                        + "amount_minor bigint)");
                statement.execute("INSERT INTO public.accounts (account_id, owner_customer_id, kind, currency, "
                        + "balance_minor, status) VALUES ('a', 'alice', 'CUSTOMER', 'CNY', 100, 'ACTIVE')");
                statement.execute("INSERT INTO public.journal_transactions (transaction_id, kind) VALUES (1, 'OPENING')");
                statement.execute("INSERT INTO public.journal_entries (transaction_id, account_id, amount_minor, currency) "
                        + "VALUES (1, 'a', 100, 'CNY')");

                assertThatThrownBy(owner::commit).hasMessageContaining("does not balance");
            }
        }
    }

    /**
     * The webhook delivery's database beside the ledger, as compose makes it: its owner migrates, its role writes
     * rows and cannot change the schema; made again on the next start with new passwords, its rows kept.
     */
    @Test
    void theWebhookDeliverysDatabaseIsBesideTheLedgersWithRolesOfItsOwn(@TempDir Path directory) {
        int port = FreePorts.next();
        try (LedgerDatabase server = new LedgerDatabase(directory, port, SUPERUSER_PASSWORD).start()) {
            WebhookDatabase webhooks = WebhookDatabase.in(server);
            org.flywaydb.core.Flyway.configure().locations("classpath:db/webhooks")
                    .dataSource(webhooks.jdbcUrl(), WebhookDatabase.OWNER, webhooks.ownerPassword())
                    .placeholders(java.util.Map.of("application_role", WebhookDatabase.APPLICATION))
                    .load().migrate();
            org.springframework.jdbc.core.simple.JdbcClient service = org.springframework.jdbc.core.simple.JdbcClient.create(
                    new org.springframework.jdbc.datasource.SingleConnectionDataSource(webhooks.jdbcUrl(),
                            WebhookDatabase.APPLICATION, webhooks.applicationPassword(), true));

            assertThat(service.sql("SELECT count(*) FROM webhook_endpoints").query(Long.class).single()).isZero();
            for (String ddl : List.of("DROP TABLE webhook_attempts", "ALTER TABLE webhook_deliveries DROP COLUMN body",
                    "TRUNCATE webhook_deliveries")) {
                assertThatThrownBy(() -> service.sql(ddl).update()).as(ddl).satisfies(refused ->
                        assertThat(org.springframework.core.NestedExceptionUtils.getMostSpecificCause(refused).getMessage())
                                .containsAnyOf("permission denied", "must be owner"));
            }
            assertThat(webhooks.jdbc().sql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
                    .query(String.class).list()).containsExactly(WebhookDatabase.OWNER);
        }
        try (LedgerDatabase server = new LedgerDatabase(directory, port, SUPERUSER_PASSWORD).start()) {
            WebhookDatabase webhooks = WebhookDatabase.in(server);
            org.springframework.jdbc.core.simple.JdbcClient service = org.springframework.jdbc.core.simple.JdbcClient.create(
                    new org.springframework.jdbc.datasource.SingleConnectionDataSource(webhooks.jdbcUrl(),
                            WebhookDatabase.APPLICATION, webhooks.applicationPassword(), true));
            assertThat(service.sql("SELECT count(*) FROM webhook_endpoints").query(Long.class).single()).isZero();
        }
    }

    /**
     * A deployment runs the migrations alone, as the schema's owner ({@code java -jar app.jar migrate}, a job), and the
     * services as their own roles only: a service taken over then holds no password that could drop the ledger's
     * balance trigger or rewrite the journal. Its Flyway, as its own role, reads the history and finds nothing pending.
     */
    @Test
    void migrationsRunAloneAsTheOwnerAndTheServicesFlywayAsTheirOwnRoleFindsNothingPending(@TempDir Path directory) {
        try (LedgerDatabase server = new LedgerDatabase(directory, FreePorts.next(), SUPERUSER_PASSWORD).start()) {
            WebhookDatabase webhooks = WebhookDatabase.in(server);

            io.qrvoucher.ledger.LedgerAdapterApplication.main(new String[] {"migrate",
                    "--spring.datasource.url=" + server.jdbcUrl(), "--spring.datasource.username=" + LedgerDatabase.APPLICATION,
                    "--spring.flyway.user=" + LedgerDatabase.OWNER, "--spring.flyway.password=" + server.ownerPassword()});
            io.qrvoucher.webhook.WebhookDeliveryApplication.main(new String[] {"migrate",
                    "--spring.datasource.url=" + webhooks.jdbcUrl(), "--spring.datasource.username=" + WebhookDatabase.APPLICATION,
                    "--spring.flyway.user=" + WebhookDatabase.OWNER, "--spring.flyway.password=" + webhooks.ownerPassword()});

            assertThat(server.jdbc().sql("SELECT count(*) FROM accounts").query(Long.class).single()).isZero();
            assertThat(webhooks.jdbc().sql("SELECT count(*) FROM webhook_endpoints").query(Long.class).single()).isZero();
            assertThat(org.flywaydb.core.Flyway.configure()
                    .dataSource(server.jdbcUrl(), LedgerDatabase.APPLICATION, server.applicationPassword())
                    .placeholders(java.util.Map.of("application_role", LedgerDatabase.APPLICATION))
                    .load().migrate().migrationsExecuted).isZero();
            assertThat(org.flywaydb.core.Flyway.configure().locations("classpath:db/webhooks")
                    .dataSource(webhooks.jdbcUrl(), WebhookDatabase.APPLICATION, webhooks.applicationPassword())
                    .placeholders(java.util.Map.of("application_role", WebhookDatabase.APPLICATION))
                    .load().migrate().migrationsExecuted).isZero();
        }
    }

    /** A data folder whose migrations ran as the superuser is handed to the owner role on start. */
    @Test
    void aDataFolderMigratedByTheSuperuserIsHandedToTheOwner(@TempDir Path directory) {
        int port = FreePorts.next();
        try (LedgerDatabase database = new LedgerDatabase(directory, port, SUPERUSER_PASSWORD).start()) {
            org.flywaydb.core.Flyway.configure().dataSource(database.jdbcUrl(), LedgerDatabase.SUPERUSER, SUPERUSER_PASSWORD)
                    .placeholders(java.util.Map.of("application_role", "postgres")).target("3").load().migrate();
        }
        try (LedgerDatabase database = new LedgerDatabase(directory, port, SUPERUSER_PASSWORD).start()) {
            org.flywaydb.core.Flyway.configure()
                    .dataSource(database.jdbcUrl(), LedgerDatabase.OWNER, database.ownerPassword())
                    .placeholders(java.util.Map.of("application_role", LedgerDatabase.APPLICATION))
                    .load().migrate();

            assertThat(database.jdbc().sql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
                    .query(String.class).list()).containsExactly(LedgerDatabase.OWNER);
        }
    }
}
