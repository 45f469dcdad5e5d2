package io.qrvoucher.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;

/**
 * The schemas a record was written with before its current one. When a record's schema changes,
 * its previous version is kept as the classpath resource
 * {@code avro-history/<full name>-v<N>.avsc} (N = 1, 2, ...), so that values written by producers
 * that are not upgraded yet can still be read.
 */
public final class SchemaHistory {

    private static final String LOCATION = "avro-history/";

    private SchemaHistory() {
    }

    static SchemaStore storeFor(Schema current) {
        SchemaStore.Cache store = new SchemaStore.Cache();
        store.addSchema(current);
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        for (int version = 1; ; version++) {
            String resource = LOCATION + current.getFullName() + "-v" + version + ".avsc";
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    return store;
                }
                store.addSchema(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read historical schema " + resource, e);
            }
        }
    }
}
