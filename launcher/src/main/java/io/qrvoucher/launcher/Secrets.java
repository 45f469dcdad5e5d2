package io.qrvoucher.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.qrvoucher.support.RequestSignatures;
import io.qrvoucher.support.internal.InternalApi;

/**
 * The demo run's keys: the bearer-code key, the demo token key, the key of the ingress's seal on
 * requests, the password of the ledger's admin API, the password of the database server's superuser, the key the webhook delivery encrypts endpoints'
 * signing secrets with and the keys of the services' internal APIs (each service's own), generated on first start
 * and kept in the data folder, so that codes, tokens, requests in flight and registered webhook endpoints stay valid across
 * restarts.
 */
public record Secrets(String codeSecret, String demoTokenSecret, String requestSigningKey, String ledgerAdminPassword,
                      String databaseSuperuserPassword, String webhookSecretKey, Map<String, String> internalApiKeys) {

    /** The id of the one request signing key of a run. */
    public static final String REQUEST_SIGNING_KEY_ID = "k1";
    /** The id of the one key of a run that webhook endpoints' signing secrets are encrypted with. */
    public static final String WEBHOOK_SECRET_KEY_ID = "k1";
    /** The property of the secrets file that holds the ledger's admin password. */
    static final String LEDGER_ADMIN_PASSWORD = "ledger-admin-password";
    /** The property of the secrets file that holds the password of the embedded PostgreSQL's superuser. */
    static final String DATABASE_SUPERUSER_PASSWORD = "postgres-superuser-password";
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    public Secrets {
        internalApiKeys = Map.copyOf(internalApiKeys);
    }

    /** Fresh keys, for a run that keeps nothing. */
    public static Secrets random() {
        return new Secrets(randomKey(), randomKey(), randomKey(), randomPassword(), randomPassword(), randomKey(),
                internalApiKeys(service -> randomKey()));
    }

    /** The ingress's seal, for a test or benchmark that publishes requests as the ingress would. */
    public RequestSignatures requestSignatures() {
        return new RequestSignatures(REQUEST_SIGNING_KEY_ID, Map.of(REQUEST_SIGNING_KEY_ID, requestSigningKey));
    }

    /** One service's own internal API key ({@link InternalApi#VOUCHER_STREAMS} …). */
    public String internalApiKey(String service) {
        return Objects.requireNonNull(internalApiKeys.get(service), service);
    }

    /** The key calls to one service's internal API are sealed with, for a test or a tool calling it as the ingress. */
    public InternalApi.Callee internalCallee(String service) {
        return InternalApi.Callee.withKey(internalApiKey(service));
    }

    /** A new file's permissions that let only its owner read it, where the file system has such permissions. */
    static FileAttribute<?>[] ownerOnly() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
    }

    static Secrets loadOrCreate(Path file) {
        try {
            Properties secrets = new Properties();
            if (Files.exists(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    secrets.load(in);
                }
            }
            // A data folder of an earlier version lacks the keys added since: they are added to it.
            boolean added = false;
            List<String> keys = new ArrayList<>(List.of("code-secret", "demo-token-secret", "request-signing-key",
                    "webhook-secret-key"));
            InternalApi.SERVICES.forEach(service -> keys.add(internalApiKeyName(service)));
            for (String name : keys) {
                if (secrets.getProperty(name) == null) {
                    secrets.setProperty(name, randomKey());
                    added = true;
                }
            }
            for (String name : List.of(LEDGER_ADMIN_PASSWORD, DATABASE_SUPERUSER_PASSWORD)) {
                if (secrets.getProperty(name) == null) {
                    secrets.setProperty(name, randomPassword());
                    added = true;
                }
            }
            if (added) {
                Files.createDirectories(file.getParent());
                // Written whole or not at all (a run killed meanwhile keeps the keys it had), for its owner only.
                Path written = Files.createTempFile(file.getParent(), "secrets", ".tmp", ownerOnly());
                try (OutputStream out = Files.newOutputStream(written)) {
                    secrets.store(out, "Keys of the embedded demo run; not for production");
                }
                Files.move(written, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else if (POSIX) {
                // A file an earlier version wrote could be read by every user of the machine.
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
            return new Secrets(secrets.getProperty("code-secret"), secrets.getProperty("demo-token-secret"),
                    secrets.getProperty("request-signing-key"), secrets.getProperty(LEDGER_ADMIN_PASSWORD),
                    secrets.getProperty(DATABASE_SUPERUSER_PASSWORD), secrets.getProperty("webhook-secret-key"),
                    internalApiKeys(service -> secrets.getProperty(internalApiKeyName(service))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Each service's own internal API key, as {@code keyOf} gives it. */
    private static Map<String, String> internalApiKeys(Function<String, String> keyOf) {
        return InternalApi.SERVICES.stream().collect(Collectors.toMap(Function.identity(), keyOf));
    }

    private static String internalApiKeyName(String service) {
        return "internal-api-key." + service;
    }

    private static String randomKey() {
        return Base64.getEncoder().encodeToString(randomBytes(32));
    }

    /** Hex, to be typed after {@code curl -u operator:} as it is. */
    private static String randomPassword() {
        return HexFormat.of().formatHex(randomBytes(16));
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
