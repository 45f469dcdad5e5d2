package io.qrvoucher.ledger;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.ZoneId;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;

import com.zaxxer.hikari.HikariDataSource;

import io.qrvoucher.database.TestDatabases;
import io.qrvoucher.support.BankRules;

/** How the service puts its ledger together. */
class LedgerAdapterApplicationTest {

    /** Each ledger command is one statement that nothing else commits: its result must not outlive its work. */
    @Test
    void theServicesLedgerRefusesAPoolWhoseConnectionsDoNotCommitEachStatement() {
        try (HikariDataSource ledgerDatabase = TestDatabases.dataSource(LedgerDatabases.newLedger());
             HikariDataSource noAutocommit = new HikariDataSource()) {
            noAutocommit.setJdbcUrl(ledgerDatabase.getJdbcUrl());
            noAutocommit.setUsername(ledgerDatabase.getUsername());
            noAutocommit.setPassword(ledgerDatabase.getPassword());
            noAutocommit.setAutoCommit(false);

            assertThatThrownBy(() -> new LedgerAdapterApplication().ledger(noAutocommit,
                    new BankRules(ZoneId.of("Asia/Shanghai"), new BigDecimal("1000.00"), Map.of()),
                    Binder.get(new StandardEnvironment()).bindOrCreate("ledger", LedgerProperties.class)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("autocommit");
        }
    }
}
