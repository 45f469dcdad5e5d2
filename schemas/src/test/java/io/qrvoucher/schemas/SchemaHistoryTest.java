package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * The rule that keeps old values readable: when a record's schema changes, the schema it had is saved
 * as the next {@code avro-history/<full name>-v<N>.avsc} (self-contained: parse that commit's .avsc
 * files together and print {@code toString(true)}), and the new fingerprint is appended in
 * {@link TopicRecords}. The build fails until both are done.
 */
class SchemaHistoryTest {

    @Test
    void everySchemaARecordHasBeenWrittenWithIsInItsHistory() {
        List<String> problems = new ArrayList<>();
        for (TopicRecords.Versions record : TopicRecords.ALL) {
            String name = record.current().getFullName();
            List<String> found = new ArrayList<>();
            SchemaHistory.versionsBefore(name).forEach(old -> found.add(TopicRecords.fingerprint(old)));
            found.add(TopicRecords.fingerprint(record.current()));
            if (!found.equals(record.fingerprints())) {
                String recordedCurrent = record.fingerprints().get(record.fingerprints().size() - 1);
                problems.add(name + ": recorded " + record.fingerprints() + ", found history and current " + found
                        + ". If its schema changed, save the schema it had (fingerprint " + recordedCurrent + ") as "
                        + SchemaHistory.resourceName(name, record.fingerprints().size())
                        + " and append the new fingerprint in TopicRecords.");
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyHistoryFileParsesAsTheRecordItIsNamedAfter() throws IOException, URISyntaxException {
        List<String> files = historyFiles();
        assertThat(files).isNotEmpty();
        for (String file : files) {
            Schema schema;
            try (InputStream in = SchemaHistory.class.getClassLoader().getResourceAsStream(file)) {
                schema = new Schema.Parser().parse(in);
            }
            assertThat(file).as("the record %s", schema.getFullName())
                    .startsWith("avro-history/" + schema.getFullName() + "-v");
        }
    }

    @Test
    void everyHistoryFileIsOneTheSerdeReads() throws IOException, URISyntaxException {
        List<String> read = new ArrayList<>();
        for (TopicRecords.Versions record : TopicRecords.ALL) {
            String name = record.current().getFullName();
            for (int version = 1; version <= SchemaHistory.versionsBefore(name).size(); version++) {
                read.add(SchemaHistory.resourceName(name, version));
            }
        }

        // A file after a gap in the numbering, or of a record missing from TopicRecords, would
        // never be read: the values written with it would be dead-lettered.
        assertThat(historyFiles()).containsExactlyInAnyOrderElementsOf(read);
    }

    /** The files under avro-history on the classpath: those the jar ships. */
    private static List<String> historyFiles() throws IOException, URISyntaxException {
        TreeSet<String> files = new TreeSet<>();
        for (URL directory : Collections.list(SchemaHistory.class.getClassLoader().getResources("avro-history"))) {
            try (Stream<Path> listing = Files.list(Path.of(directory.toURI()))) {
                listing.forEach(file -> files.add("avro-history/" + file.getFileName()));
            }
        }
        return new ArrayList<>(files);
    }
}
