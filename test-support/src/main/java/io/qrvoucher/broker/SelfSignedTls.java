package io.qrvoucher.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A key and a self-signed certificate for test brokers, valid for {@code 127.0.0.1} and {@code localhost}
 * (where they listen), and a trust store that holds the certificate, made with the JDK's own keytool as an
 * operator would make them (compose's {@code kafka-certificates} does the same with a CA of its own).
 *
 * @param keyStore   the brokers' key and certificate
 * @param trustStore the certificate alone, for clients
 * @param password   of both stores and of the key
 */
record SelfSignedTls(Path keyStore, Path trustStore, String password) {

    static final String STORE_TYPE = "PKCS12";

    static SelfSignedTls create(Path directory) {
        try {
            Files.createDirectories(directory);
            SelfSignedTls tls = new SelfSignedTls(directory.resolve("broker.p12"), directory.resolve("trust.p12"),
                    BrokerSecurity.randomPassword());
            Path certificate = directory.resolve("broker.pem");
            for (Path made : List.of(tls.keyStore, tls.trustStore, certificate)) {
                Files.deleteIfExists(made);
            }
            tls.keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=kafka-broker", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "7",
                    "-keystore", tls.keyStore.toString(), "-storetype", STORE_TYPE,
                    "-storepass", tls.password, "-keypass", tls.password);
            tls.keytool("-exportcert", "-rfc", "-alias", "broker", "-file", certificate.toString(),
                    "-keystore", tls.keyStore.toString(), "-storepass", tls.password);
            tls.keytool("-importcert", "-noprompt", "-alias", "broker", "-file", certificate.toString(),
                    "-keystore", tls.trustStore.toString(), "-storetype", STORE_TYPE, "-storepass", tls.password);
            return tls;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void keytool(String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
                throw new IllegalStateException("keytool " + arguments[0] + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
