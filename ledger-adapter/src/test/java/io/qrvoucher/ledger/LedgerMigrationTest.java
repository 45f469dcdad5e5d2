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

    /** V8 and V9 check what is already written: entries and holds of the release before, in their accounts' currency. */
    @Test
    void entriesAndHoldsWrittenBeforeTheUpgradeAreCheckedAgainstTheirAccountsCurrency() {
        String url = TestDatabases.newDatabase("ledger");
        migrate(url, "7");
        update(url, "INSERT INTO accounts (account_id, owner_customer_id, kind, currency, balance_minor, status) VALUES "
                + "('capital-cny', 'bank', 'CAPITAL', 'CNY', -100, 'ACTIVE'), ('alice-cny', 'alice', 'CUSTOMER', 'CNY', 100, 'ACTIVE')");
        update(url, "INSERT INTO journal_transactions (transaction_id, kind, command_id) VALUES (1, 'OPENING', 'opening/alice-cny')");
        update(url, "INSERT INTO journal_entries (transaction_id, account_id, amount_minor, currency) VALUES "
                + "(1, 'capital-cny', -100, 'CNY'), (1, 'alice-cny', 100, 'CNY')");

        migrate(url, "latest");

        try (SingleConnectionDataSource connection = connect(url)) {
            assertThat(JdbcClient.create(connection).sql("""
                            SELECT conname || ' ' || convalidated FROM pg_constraint
                            WHERE contype = 'f' AND conrelid IN ('journal_entries'::regclass, 'holds'::regclass)""")
                    .query(String.class).list())
                    .contains("journal_entries_in_account_currency true", "holds_in_account_currency true");
        }
    }

    /** The accounts' index V8 needs, built by hand beforehand (CONCURRENTLY) and failed: the upgrade stops, naming it. */
    @Test
    void anInvalidAccountsCurrencyIndexBuiltBeforeTheUpgradeStopsIt() {
        String url = TestDatabases.newDatabase("ledger");
        migrate(url, "7");
        update(url, "CREATE UNIQUE INDEX accounts_account_id_currency ON accounts (account_id, currency)");
        update(url, "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'accounts_account_id_currency'::regclass");

        assertThatThrownBy(() -> migrate(url, "latest")).isInstanceOf(FlywayException.class)
                .hasMessageContaining("accounts_account_id_currency is invalid");
    }

    /** The open holds' index V10 needs, built by hand beforehand as the upgrade note says: kept. */
    @Test
    void anOpenHoldsIndexBuiltBeforeTheUpgradeAsTheNoteSaysIsKept() {
        String url = TestDatabases.newDatabase("ledger");
        migrate(url, "9");
        update(url, "CREATE INDEX holds_open_by_account ON holds (account_id) INCLUDE (amount_minor) WHERE state = 'HELD'");
        long builtByHand = indexOid(url, "holds_open_by_account");

        migrate(url, "latest");

        assertThat(indexOid(url, "holds_open_by_account")).as("the same index, not built again").isEqualTo(builtByHand);
    }

    private static long indexOid(String url, String index) {
        try (SingleConnectionDataSource connection = connect(url)) {
            return JdbcClient.create(connection).sql("""
                            SELECT i.indexrelid::bigint FROM pg_index i
                            WHERE i.indexrelid = to_regclass(:index) AND i.indisvalid""")
                    .param("index", index).query(Long.class).single();
        }
    }

    /** Built otherwise, or failed: the upgrade stops, naming it, rather than keep an index the checks cannot use. */
    @Test
    void anOpenHoldsIndexBuiltOtherwiseOrFailedStopsTheUpgrade() {
        String other = TestDatabases.newDatabase("ledger");
        migrate(other, "9");
        update(other, "CREATE INDEX holds_open_by_account ON holds (account_id) WHERE state = 'HELD'");
        assertThatThrownBy(() -> migrate(other, "latest")).isInstanceOf(FlywayException.class)
                .hasMessageContaining("holds_open_by_account is not the one this migration makes");

        String failed = TestDatabases.newDatabase("ledger");
        migrate(failed, "9");
        update(failed, "CREATE INDEX holds_open_by_account ON holds (account_id) INCLUDE (amount_minor) WHERE state = 'HELD'");
        update(failed, "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'holds_open_by_account'::regclass");
        assertThatThrownBy(() -> migrate(failed, "latest")).isInstanceOf(FlywayException.class)
                .hasMessageContaining("holds_open_by_account is invalid");
    }

    /** The clearing accounts' index V14 needs, built by hand as the upgrade note says: kept; built otherwise: refused. */
    @Test
    void anActiveClearingIndexBuiltBeforeTheUpgradeIsKeptAndOneBuiltOtherwiseStopsIt() {
        String url = TestDatabases.newDatabase("ledger");
        migrate(url, "13");
        update(url, "CREATE INDEX accounts_active_clearing ON accounts (currency, account_id) "
                + "WHERE kind = 'CLEARING' AND status = 'ACTIVE'");
        long builtByHand = indexOid(url, "accounts_active_clearing");
        migrate(url, "latest");
        assertThat(indexOid(url, "accounts_active_clearing")).as("the same index, not built again").isEqualTo(builtByHand);

        String other = TestDatabases.newDatabase("ledger");
        migrate(other, "13");
        update(other, "CREATE INDEX accounts_active_clearing ON accounts (currency) WHERE kind = 'CLEARING'");
        assertThatThrownBy(() -> migrate(other, "latest")).isInstanceOf(FlywayException.class)
                .hasMessageContaining("accounts_active_clearing is not the one this migration makes");
    }

    /** An entry written in another currency than its account's, before the upgrade, stops it: the operator mends it first. */
    @Test
    void anEntryInAnotherCurrencyThanItsAccountStopsTheUpgrade() {
        String url = TestDatabases.newDatabase("ledger");
        migrate(url, "7");
        update(url, "INSERT INTO accounts (account_id, owner_customer_id, kind, currency, balance_minor, status) VALUES "
                + "('capital-usd', 'bank', 'CAPITAL', 'USD', 0, 'ACTIVE'), ('alice-cny', 'alice', 'CUSTOMER', 'CNY', 0, 'ACTIVE')");
        update(url, "INSERT INTO journal_transactions (transaction_id, kind, command_id) VALUES (1, 'OPENING', 'opening/alice-cny')");
        update(url, "INSERT INTO journal_entries (transaction_id, account_id, amount_minor, currency) VALUES "
                + "(1, 'capital-usd', -100, 'USD'), (1, 'alice-cny', 100, 'USD')");

        assertThatThrownBy(() -> migrate(url, "latest")).isInstanceOf(FlywayException.class)
                .hasMessageContaining("journal_entries_in_account_currency");
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
