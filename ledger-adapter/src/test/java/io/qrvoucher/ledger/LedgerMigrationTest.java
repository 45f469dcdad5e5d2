package io.qrvoucher.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import io.qrvoucher.database.TestDatabases;

/** Upgrades of a ledger database from an earlier release, as an operator runs them. */
class LedgerMigrationTest {

    private static final String NEW_INDEX = "journal_entries_account_transaction";
    private static final String OLD_INDEX = "journal_entries_account";

    @Test
    void anAccountEntriesIndexBuiltBeforeTheUpgradeIsKeptAndTheOldOneDropped() {
        String url = ledgerOfTheReleaseBeforeWithTheNewIndexBuilt();

        migrate(url, "latest");

        assertThat(indexes(url)).contains(NEW_INDEX).doesNotContain(OLD_INDEX);
    }

    /** A CREATE INDEX CONCURRENTLY that failed leaves its index invalid: the old one must not go with nothing in its place. */
    @Test
    void anInvalidAccountEntriesIndexStopsTheUpgradeBeforeTheOldOneIsDropped() {
        String url = ledgerOfTheReleaseBeforeWithTheNewIndexBuilt();
        update(url, "UPDATE pg_index SET indisvalid = false WHERE indexrelid = '" + NEW_INDEX + "'::regclass");

        assertThatThrownBy(() -> migrate(url, "latest")).isInstanceOf(FlywayException.class)
                .hasMessageContaining("is invalid");
        assertThat(indexes(url)).contains(OLD_INDEX);
    }

    /** V5, the release before, and the index the upgrade note says to build by hand on a large journal. */
    private static String ledgerOfTheReleaseBeforeWithTheNewIndexBuilt() {
        String url = TestDatabases.newDatabase("ledger");
        migrate(url, "5");
        update(url, "CREATE INDEX " + NEW_INDEX + " ON journal_entries (account_id, transaction_id) INCLUDE (amount_minor)");
        return url;
    }

    private static void migrate(String url, String target) {
        Flyway.configure().dataSource(url, "postgres", "postgres").locations("classpath:db/migration")
                .placeholders(Map.of("application_role", "postgres")).target(target).load().migrate();
    }

    private static void update(String url, String statement) {
        try (SingleConnectionDataSource connection = connect(url)) {
            JdbcClient.create(connection).sql(statement).update();
        }
    }

    private static List<String> indexes(String url) {
        try (SingleConnectionDataSource connection = connect(url)) {
            return JdbcClient.create(connection).sql("SELECT indexname FROM pg_indexes WHERE tablename = 'journal_entries'")
                    .query(String.class).list();
        }
    }

    private static SingleConnectionDataSource connect(String url) {
        return new SingleConnectionDataSource(url, "postgres", "postgres", true);
    }
}
