package io.qrvoucher.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;

/**
 * The schemas a record was written with before its current one. When a record's schema changes,
 * its previous version is kept as the classpath resource
 * {@code avro-history/<full name>-v<N>.avsc} (N = 1, 2, ...), so that values written by producers
 * that are not upgraded yet can still be read. The files ship in this module's jar: a reader
 * upgraded past a writer needs the writer's schema, and only the fingerprint travels with a value.
 * Each file is self-contained (every named type inlined), as the schema was when it was written.
 */
public final class SchemaHistory {

    private static final String LOCATION = "avro-history/";

    private SchemaHistory() {
    }

    static SchemaStore storeFor(Schema current) {
        SchemaStore.Cache store = new SchemaStore.Cache();
        store.addSchema(current);
        versionsBefore(current.getFullName()).forEach(store::addSchema);
        return store;
    }

    /** The record's earlier schemas, oldest first: v1, v2, ... up to the first version missing. */
    static List<Schema> versionsBefore(String fullName) {
        List<Schema> versions = new ArrayList<>();
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        for (int version = 1; ; version++) {
            String resource = resourceName(fullName, version);
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    return versions;
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read historical schema " + resource, e);
            }
        }
    }

    static String resourceName(String fullName, int version) {
        return LOCATION + fullName + "-v" + version + ".avsc";
    }
}
