package io.qrvoucher.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Properties;

/**
 * The demo run's keys: the bearer-code key and the demo token key, generated on first start and
 * kept in the data folder, so that codes and tokens stay valid across restarts.
 */
public record Secrets(String codeSecret, String demoTokenSecret) {

    /** A fresh pair, for a run that keeps nothing. */
    public static Secrets random() {
        return new Secrets(randomKey(), randomKey());
    }

    static Secrets loadOrCreate(Path file) {
        try {
            Properties secrets = new Properties();
            if (Files.exists(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    secrets.load(in);
                }
            } else {
                secrets.setProperty("code-secret", randomKey());
                secrets.setProperty("demo-token-secret", randomKey());
                Files.createDirectories(file.getParent());
                try (OutputStream out = Files.newOutputStream(file)) {
                    secrets.store(out, "Keys of the embedded demo run; not for production");
                }
            }
            return new Secrets(secrets.getProperty("code-secret"), secrets.getProperty("demo-token-secret"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
