package io.qrvoucher.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;

import io.qrvoucher.support.Causes;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL holding the {@code ledger} database, with its files in one directory and a fixed
 * port, so that it can be taken away ({@link #stop()}: the services' connections fail) and brought
 * back with all its data ({@link #start()}). The database belongs to the role {@value #OWNER}, which
 * runs the migrations; the ledger adapter connects as {@value #APPLICATION}, which may only read and
 * write rows. Both get a new random password at every start. The server's superuser {@code postgres}, for checks
 * and set-up, has the password this object is given, which a data folder keeps: every connection, over TCP or the
 * local socket, proves its role's password (SCRAM), since any user of the machine can reach the port. The same server
 * can hold the webhook delivery's database beside the ledger, as compose's does ({@link WebhookDatabase}).
 */
public final class LedgerDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LedgerDatabase.class);

    public static final String OWNER = "ledger_owner";
    public static final String APPLICATION = "ledger_app";

    static final String SUPERUSER = "postgres";
    /** Written at every start: a data folder made before session 37 let every local user in as any role. */
    static final String CLIENT_AUTHENTICATION = """
            # Written by the launcher at each start: every connection proves its role's password.
            local all all scram-sha-256
            host all all 127.0.0.1/32 scram-sha-256
            host all all ::1/128 scram-sha-256
            """;

    private final Path directory;
    private final int port;
    private final String superuserPassword;
    private final String ownerPassword = randomPassword();
    private final String applicationPassword = randomPassword();
    private EmbeddedPostgres postgres;

    /** A server whose superuser gets a new random password: for a data folder no other object opens. */
    public LedgerDatabase(Path directory, int port) {
        this(directory, port, randomPassword());
    }

    /** A server whose superuser has the given password; a data folder made with another refuses to start. */
    public LedgerDatabase(Path directory, int port, String superuserPassword) {
        this.directory = directory;
        this.port = port;
        this.superuserPassword = superuserPassword;
    }

    public LedgerDatabase start() {
        try {
            Files.createDirectories(directory);
            stopLeftOver(directory);
            Path passwordFile = Files.createTempFile("ledger-database", ".pw", Secrets.ownerOnly());
            try {
                Files.writeString(passwordFile, superuserPassword);
                // The embedded server turns durability off by default (synchronous_commit, fsync): a crash
                // could then lose ledger commits whose results Kafka already has. Every ledger database
                // commits durably.
                postgres = EmbeddedPostgres.builder().setDataDirectory(directory).setCleanDataDirectory(false)
                        .setServerConfig("synchronous_commit", "on")
                        .setServerConfig("fsync", "on")
                        .setServerConfig("full_page_writes", "on")
                        // initdb's options other than zonky's own come from its "locale" settings, as --key=value
                        // after its "-A trust", so they win: a new folder asks for passwords from its first start.
                        .setLocaleConfig("auth", "scram-sha-256")
                        .setLocaleConfig("pwfile", passwordFile.toString())
                        .setConnectConfig("password", superuserPassword)
                        .setPort(port).start();
            } catch (IOException e) {
                stopLeftOver(directory); // a server that refused the password runs on until the JVM's end otherwise
                // SQLSTATE 28P01: the password was refused.
                if (Causes.find(e, SQLException.class, refused -> "28P01".equals(refused.getSQLState())).isPresent()) {
                    throw new IllegalStateException("The PostgreSQL server on " + directory + " refuses the "
                            + "superuser's password: the folder was made with another one (kept in secrets.properties "
                            + "beside it)", e);
                }
                throw e;
            } finally {
                Files.deleteIfExists(passwordFile);
            }
            try (Connection connection = postgres.getPostgresDatabase().getConnection();
                 Statement statement = connection.createStatement()) {
                requirePasswords(statement);
                createIfMissing(statement, "ledger", OWNER, ownerPassword, APPLICATION, applicationPassword);
            }
            handOverToOwner();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Gives the superuser its password and makes the server ask every connection for its role's: a folder made
     * before session 37 trusted every local connection, as any role (the superuser had no password).
     */
    private void requirePasswords(Statement statement) throws SQLException, IOException {
        statement.execute("ALTER ROLE " + SUPERUSER + " PASSWORD '" + superuserPassword.replace("'", "''") + "'");
        Path clientAuthentication = directory.resolve("pg_hba.conf");
        if (!Files.readString(clientAuthentication).equals(CLIENT_AUTHENTICATION)) {
            // Whole or not at all: a server finds no half-written file at its next start.
            Path written = Files.writeString(directory.resolve("pg_hba.conf.new"), CLIENT_AUTHENTICATION);
            Files.move(written, clientAuthentication, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            statement.execute("SELECT pg_reload_conf()");
        }
    }

    /**
     * Stops the server a killed run left running on this data folder, if there is one: PostgreSQL outlives the JVM
     * that started it (after {@code kill -9} or the out-of-memory killer) and holds the port and the folder; this
     * start would take it for its own and leave it running at the end, for ever. It is asked to shut down as on
     * {@code SIGTERM} (its clients went with that JVM).
     */
    static void stopLeftOver(Path directory) {
        Path pidFile = directory.resolve("postmaster.pid");
        long pid;
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return; // not a server's file, or one being written: the start says what is wrong
        }
        // The server of this folder, not whatever has the pid now (the file may be older than a reboot): a postgres
        // whose arguments name this folder.
        Optional<ProcessHandle> server = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(process -> process.info().command().map(command -> command.contains("postgres")).orElse(false))
                .filter(process -> servesFolder(process, directory));
        if (server.isEmpty()) {
            return;
        }
        log.warn("Stopping the PostgreSQL server (pid {}) that an earlier run left running on {}", pid, directory);
        server.get().destroy();
        try {
            server.get().onExit().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("The PostgreSQL server (pid " + pid + ") an earlier run left running on "
                    + directory + " did not stop within a minute: stop it, then start again", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while the server an earlier run left running stopped", e);
        }
    }

    private static boolean servesFolder(ProcessHandle process, Path directory) {
        Path folder = directory.toAbsolutePath().normalize();
        return process.info().arguments().map(arguments -> Arrays.stream(arguments)
                .anyMatch(argument -> {
                    try {
                        return Path.of(argument).toAbsolutePath().normalize().equals(folder);
                    } catch (RuntimeException notAPath) {
                        return false;
                    }
                })).orElse(false);
    }

    /**
     * Makes a database owned by {@code owner} and the two login roles, where they are missing, and sets the roles'
     * passwords for this run: run on the server's {@code postgres} database, by its administrator.
     */
    static void createIfMissing(Statement statement, String database, String owner, String ownerPassword,
                                String application, String applicationPassword) throws SQLException {
        for (String role : new String[] {owner, application}) {
            try (ResultSet exists = statement.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + role + "'")) {
                if (!exists.next()) {
                    statement.execute("CREATE ROLE " + role + " LOGIN");
                }
            }
        }
        statement.execute("ALTER ROLE " + owner + " PASSWORD '" + ownerPassword + "'");
        statement.execute("ALTER ROLE " + application + " PASSWORD '" + applicationPassword + "'");
        try (ResultSet exists = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
            if (!exists.next()) {
                statement.execute("CREATE DATABASE " + database + " OWNER " + owner);
            }
        }
    }

    public void stop() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A data folder of a version whose migrations ran as the superuser has the ledger's objects owned by
     * it: they are handed to the owner role, so that its migrations can grant on them.
     */
    private void handOverToOwner() throws SQLException {
        try (Connection connection = postgres.getDatabase(SUPERUSER, "ledger").getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE ledger OWNER TO " + OWNER);
            statement.execute("ALTER SCHEMA public OWNER TO " + OWNER);
            statement.execute("""
                    DO $$
                    DECLARE o record;
                    BEGIN
                        FOR o IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner <> '%1$s' LOOP
                            EXECUTE format('ALTER TABLE public.%%I OWNER TO %1$s', o.tablename);
                        END LOOP;
                        FOR o IN SELECT p.oid::regprocedure AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                 WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '%1$s' LOOP
                            EXECUTE format('ALTER FUNCTION %%s OWNER TO %1$s', o.signature);
                        END LOOP;
                    END $$""".formatted(OWNER));
        }
    }

    /** The password of the owner role, which runs the migrations, for this run of the server. */
    public String ownerPassword() {
        return ownerPassword;
    }

    /** The password of the ledger adapter's role for this run of the server. */
    public String applicationPassword() {
        return applicationPassword;
    }

    static String randomPassword() {
        byte[] bytes = new byte[18];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    public String jdbcUrl() {
        return jdbcUrl("ledger");
    }

    /** The JDBC URL of one of the server's databases. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database;
    }

    /** The superuser's connections to one of the server's databases, for set-up. */
    DataSource administration(String database) {
        return postgres.getDatabase(SUPERUSER, database);
    }

    /** A client of the ledger database, for checks and set-up. */
    public JdbcClient jdbc() {
        return JdbcClient.create(dataSource());
    }

    /** The superuser's connections to the ledger database, for a test that holds a transaction open. */
    public DataSource dataSource() {
        return postgres.getDatabase(SUPERUSER, "ledger");
    }

    @Override
    public void close() {
        stop();
    }
}
