package io.qrvoucher.ledger.core;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

import javax.sql.DataSource;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Statements on the service's pool that end. Each is cancelled after its timeout, a wait for a row lock included. One
 * whose database goes silent (its host gone, a firewall dropping the flow) cannot be cancelled, its cancel request lost
 * the same way: its connection gives up waiting for an answer after twice the timeout ({@link
 * Connection#setNetworkTimeout}), and it fails like an unreachable database, where it waited for the system's TCP
 * timeouts (minutes to hours) and held its thread and its pooled connection all the while — a few such, and the
 * ledger's commands found no connection.
 * <p>
 * Each one has connections of its own making: a transaction of {@link #transactions()} holds the connection its
 * statements run on, and a transaction of the pool's transaction manager does not reach them.
 */
public final class BoundedStatements {

    private final DataSource dataSource;
    private final JdbcTemplate jdbcTemplate;

    private BoundedStatements(DataSource dataSource, JdbcTemplate jdbcTemplate) {
        this.dataSource = dataSource;
        this.jdbcTemplate = jdbcTemplate;
    }

    /** @param statementTimeout in whole seconds, at least one */
    public static BoundedStatements on(DataSource pool, Duration statementTimeout) {
        int timeoutSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE / 2_000, statementTimeout.toSeconds()));
        DataSource silentGivenUp = new SilentConnectionsGivenUp(pool, 2_000 * timeoutSeconds);
        JdbcTemplate cancelledAfterTheTimeout = new JdbcTemplate(silentGivenUp);
        cancelledAfterTheTimeout.setQueryTimeout(timeoutSeconds);
        return new BoundedStatements(silentGivenUp, cancelledAfterTheTimeout);
    }

    public JdbcTemplate jdbcTemplate() {
        return jdbcTemplate;
    }

    public JdbcClient jdbcClient() {
        return JdbcClient.create(jdbcTemplate);
    }

    /** Transactions on these connections: their statements end as every other of these does. */
    public TransactionTemplate transactions() {
        return new TransactionTemplate(new JdbcTransactionManager(dataSource));
    }

    /**
     * Hands out connections that wait at most {@code networkTimeoutMillis} for the database's answer. Hikari, the
     * service's pool, restores the pool's own setting when a connection is given back, so the pool's other users keep
     * theirs.
     */
    private static final class SilentConnectionsGivenUp extends DelegatingDataSource {

        private final int networkTimeoutMillis;

        SilentConnectionsGivenUp(DataSource pool, int networkTimeoutMillis) {
            super(pool);
            this.networkTimeoutMillis = networkTimeoutMillis;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection connection = super.getConnection();
            try {
                connection.setNetworkTimeout(Runnable::run, networkTimeoutMillis);
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.close();
                } catch (SQLException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
            return connection;
        }
    }
}
