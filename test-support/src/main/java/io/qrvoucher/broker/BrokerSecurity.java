package io.qrvoucher.broker;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Authentication and authorization of a test cluster, as production has them: clients authenticate with
 * SCRAM-SHA-512 over TLS ({@link #scramOverTls}: SASL_SSL, the brokers' certificate made here and trusted
 * by the clients) or, where only the logins and ACLs are under test, over SASL_PLAINTEXT ({@link #scram}),
 * and Kafka's {@code StandardAuthorizer} lets a principal do only what an ACL allows it. The nodes
 * themselves are the super user {@code admin}:
 * between brokers with SCRAM (its credential is written when the storage is formatted, so it is there
 * before the first start), to the controllers with SASL/PLAIN and a login fixed in the configuration,
 * which needs nothing from the metadata the controllers serve. One instance serves all nodes of a cluster.
 */
public final class BrokerSecurity {

    public static final String MECHANISM = "SCRAM-SHA-512";
    public static final String ADMIN = "admin";
    static final String CLIENT_LISTENER = "CLIENT";

    private static final ScramCredentialInfo CREDENTIAL = new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096);
    private static final Duration PROPAGATION = Duration.ofSeconds(30);

    private final String adminPassword;
    /** The brokers' TLS; null when clients connect without it. */
    private final SelfSignedTls tls;

    private BrokerSecurity(String adminPassword, SelfSignedTls tls) {
        this.adminPassword = adminPassword;
        this.tls = tls;
    }

    /** SCRAM over SASL_PLAINTEXT, with a fresh random password of the super user. */
    public static BrokerSecurity scram() {
        return new BrokerSecurity(randomPassword(), null);
    }

    /**
     * SCRAM over TLS (SASL_SSL), as production runs: the brokers present a certificate made in
     * {@code directory}, which clients and the brokers themselves trust and check against the address
     * they connect to.
     */
    public static BrokerSecurity scramOverTls(Path directory) {
        return new BrokerSecurity(randomPassword(), SelfSignedTls.create(directory));
    }

    /** A password fit for a JAAS configuration and the SCRAM tools: hex digits. */
    public static String randomPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** The JAAS login of a SCRAM client: the value of {@code sasl.jaas.config}. */
    public static String scramLogin(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** What a client of {@code user} adds to the bootstrap servers: the protocol, SCRAM, the login, the trusted certificate. */
    public Map<String, Object> clientSecurity(String user, String password) {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol());
        config.put(SaslConfigs.SASL_MECHANISM, MECHANISM);
        config.put(SaslConfigs.SASL_JAAS_CONFIG, scramLogin(user, password));
        if (tls != null) {
            config.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, tls.trustStore().toString());
            config.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, tls.password());
            config.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, SelfSignedTls.STORE_TYPE);
        }
        return config;
    }

    /** A client authenticated as {@code user}. */
    public Map<String, Object> clientConfig(String bootstrapServers, String user, String password) {
        Map<String, Object> config = new HashMap<>(clientSecurity(user, password));
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return config;
    }

    /** The same login as a Spring Boot service takes it: {@code spring.kafka.*} arguments. */
    public List<String> springArguments(String user, String password) {
        List<String> arguments = new ArrayList<>(List.of("--spring.kafka.security.protocol=" + protocol(),
                "--spring.kafka.properties.sasl.mechanism=" + MECHANISM,
                "--spring.kafka.properties.sasl.jaas.config=" + scramLogin(user, password)));
        if (tls != null) {
            arguments.addAll(List.of("--spring.kafka.ssl.trust-store-location=" + tls.trustStore().toUri(),
                    "--spring.kafka.ssl.trust-store-password=" + tls.password(),
                    "--spring.kafka.ssl.trust-store-type=" + SelfSignedTls.STORE_TYPE));
        }
        return arguments;
    }

    private String protocol() {
        return tls == null ? "SASL_PLAINTEXT" : "SASL_SSL";
    }

    /**
     * Writes one record as {@code client} and waits for the broker's answer: null when it took the record,
     * else why not (a refused login, a topic the ACLs deny). How a test shows what a principal may write.
     */
    public static Throwable refusalOfWrite(Map<String, Object> client, String topic) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (KafkaException e) {
            // A producer refused its producer id before the send (a principal that may write nothing) fails the send
            // at once with "an error state", whose cause is the refusal: the same refusal, reported sooner.
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof AuthorizationException) {
                    return cause;
                }
            }
            return e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A client authenticated as the super user, whom no ACL restricts. */
    public Map<String, Object> adminConfig(String bootstrapServers) {
        return clientConfig(bootstrapServers, ADMIN, adminPassword);
    }

    /**
     * Creates (or changes) the SCRAM credentials of these users and waits until the cluster lists them.
     *
     * @param adminConfig a client with the right to change credentials ({@link #adminConfig})
     */
    public static void createUsers(Map<String, Object> adminConfig, Map<String, String> passwordsByUser) {
        try (Admin admin = Admin.create(adminConfig)) {
            get(admin.alterUserScramCredentials(passwordsByUser.entrySet().stream()
                    .<UserScramCredentialAlteration>map(user ->
                            new UserScramCredentialUpsertion(user.getKey(), CREDENTIAL, user.getValue()))
                    .toList()).all());
            awaitTrue("the SCRAM credentials of " + passwordsByUser.keySet(), () ->
                    get(admin.describeUserScramCredentials().all()).keySet().containsAll(passwordsByUser.keySet()));
        }
    }

    /**
     * Adds these ACLs and waits until the cluster lists them all.
     *
     * @param adminConfig a client with the right to change ACLs ({@link #adminConfig})
     */
    public static void addAcls(Map<String, Object> adminConfig, Collection<AclBinding> acls) {
        try (Admin admin = Admin.create(adminConfig)) {
            get(admin.createAcls(acls).all());
            awaitTrue(acls.size() + " ACLs", () -> Set.copyOf(get(admin.describeAcls(AclBindingFilter.ANY).values()))
                    .containsAll(acls));
        }
    }

    /** The node's settings for its listeners: CLIENT for clients and other brokers, CONTROLLER for the quorum. */
    Map<String, String> brokerConfig(String controllerListener) {
        String controller = controllerListener.toLowerCase(Locale.ROOT);
        String client = CLIENT_LISTENER.toLowerCase(Locale.ROOT);
        Map<String, String> config = new HashMap<>();
        config.put("listener.security.protocol.map", CLIENT_LISTENER + ":" + protocol() + "," + controllerListener
                + ":SASL_PLAINTEXT");
        if (tls != null) {
            // The brokers' key on the client listener; the trust store for their own connections to each other.
            config.put("listener.name." + client + ".ssl.keystore.location", tls.keyStore().toString());
            config.put("listener.name." + client + ".ssl.keystore.password", tls.password());
            config.put("listener.name." + client + ".ssl.key.password", tls.password());
            config.put("listener.name." + client + ".ssl.keystore.type", SelfSignedTls.STORE_TYPE);
            config.put("ssl.truststore.location", tls.trustStore().toString());
            config.put("ssl.truststore.password", tls.password());
            config.put("ssl.truststore.type", SelfSignedTls.STORE_TYPE);
        }
        config.put("inter.broker.listener.name", CLIENT_LISTENER);
        config.put("listener.name." + client + ".sasl.enabled.mechanisms", MECHANISM);
        config.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        config.put("listener.name." + client + ".scram-sha-512.sasl.jaas.config", scramLogin(ADMIN, adminPassword));
        config.put("listener.name." + controller + ".sasl.enabled.mechanisms", "PLAIN");
        config.put("sasl.mechanism.controller.protocol", "PLAIN");
        config.put("listener.name." + controller + ".plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + ADMIN
                        + "\" password=\"" + adminPassword + "\" user_" + ADMIN + "=\"" + adminPassword + "\";");
        config.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        config.put("super.users", "User:" + ADMIN);
        // Kafka's default, stated: a resource without ACLs is closed to everyone but the super user.
        config.put("allow.everyone.if.no.acl.found", "false");
        return config;
    }

    /** Written with the storage, so that the nodes can authenticate to each other from their first start. */
    List<String> formatArguments() {
        return List.of("--add-scram", MECHANISM + "=[name=" + ADMIN + ",password=" + adminPassword + "]");
    }

    private static <T> T get(KafkaFuture<T> future) {
        try {
            return future.get(PROPAGATION.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("The cluster refused or did not answer", e);
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + PROPAGATION.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The cluster does not list " + what + " after " + PROPAGATION);
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }
}
