package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerDatabaseTest {

    /** A crash must not lose a ledger commit whose result Kafka already has. */
    @Test
    void theLedgersDatabaseCommitsDurably(@TempDir Path directory) {
        try (LedgerDatabase database = new LedgerDatabase(directory, ServiceProcess.freePort()).start()) {
            assertThat(database.jdbc().sql("SHOW synchronous_commit").query(String.class).single()).isEqualTo("on");
            assertThat(database.jdbc().sql("SHOW fsync").query(String.class).single()).isEqualTo("on");
            assertThat(database.jdbc().sql("SHOW full_page_writes").query(String.class).single()).isEqualTo("on");
        }
    }
}
