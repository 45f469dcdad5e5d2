package io.qrvoucher.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run's keys and passwords: its owner's alone, and the same from one start to the next. */
class SecretsTest {

    @BeforeEach
    void posix() {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "no POSIX permissions here");
    }

    @Test
    void theKeysAreWrittenForTheirOwnerOnlyAndKept(@TempDir Path data) throws IOException {
        Path file = data.resolve("secrets.properties");
        Secrets first = Secrets.loadOrCreate(file);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Secrets.loadOrCreate(file)).isEqualTo(first);
        assertThat(first.databaseSuperuserPassword()).isNotBlank().isNotEqualTo(first.ledgerAdminPassword());
        try (var left = Files.list(data)) {
            assertThat(left).containsExactly(file);
        }
    }

    @Test
    void aFileAnEarlierVersionLeftReadableByAllIsClosedToOthers(@TempDir Path data) throws IOException {
        Path file = data.resolve("secrets.properties");
        Secrets.loadOrCreate(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        Secrets.loadOrCreate(file);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
}
