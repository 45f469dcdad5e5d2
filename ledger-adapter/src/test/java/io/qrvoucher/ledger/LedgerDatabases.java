package io.qrvoucher.ledger;

import io.qrvoucher.database.TestDatabases;

/** Databases for the adapter's tests: each a new one, migrated by the adapter's own Flyway scripts. */
public final class LedgerDatabases {

    private LedgerDatabases() {
    }

    /** The JDBC URL of a new, migrated ledger database. */
    public static String newLedger() {
        return TestDatabases.newMigratedDatabase("ledger", "classpath:db/migration");
    }
}
