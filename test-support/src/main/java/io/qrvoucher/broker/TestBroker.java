package io.qrvoucher.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.network.TcpRelay;
import io.qrvoucher.ports.FreePorts;

/**
 * A single-node {@link KraftBroker} for a test: free ports, a temporary directory, the given topics
 * created with the given partitions (one replica each). {@link #close()} stops the broker and
 * deletes the directory; it may be called more than once, so a test can stop the broker early.
 * {@link #startSecured} starts one whose clients authenticate and are authorized by ACLs; {@link #startRelayed} one
 * that clients may also reach through a {@link TcpRelay}, to be cut off from it.
 */
public final class TestBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestBroker.class);

    private final Path directory;
    private final KraftBroker broker;
    private final BrokerSecurity security;
    private final TcpRelay relay;
    private boolean closed;

    private TestBroker(Path directory, KraftBroker broker, BrokerSecurity security, TcpRelay relay) {
        this.directory = directory;
        this.broker = broker;
        this.security = security;
        this.relay = relay;
    }

    /** A broker with the {@link KraftBroker.Node#single single-node} settings, and these topics. */
    public static TestBroker start(int partitions, String... topics) {
        return start(Map.of(), partitions, topics);
    }

    /** As {@link #start(int, String...)}, with extra broker settings on top of the single-node ones. */
    public static TestBroker start(Map<String, String> brokerConfig, int partitions, String... topics) {
        return start(brokerConfig, null, false, partitions, topics);
    }

    /**
     * As {@link #start(int, String...)}, and clients that bootstrap from {@link #relayedBootstrapServers()} reach the
     * broker only through its {@link #relay()}: a second listener advertises the relay's port, so that the broker's
     * metadata sends them back through it.
     */
    public static TestBroker startRelayed(int partitions, String... topics) {
        return start(Map.of(), null, true, partitions, topics);
    }

    /**
     * A broker whose clients authenticate with SCRAM-SHA-512 over SASL_PLAINTEXT (no TLS) and may do only
     * what ACLs allow them ({@link BrokerSecurity}); the topics are created by the super user. Give a
     * client its user ({@link #createUsers}) and rights ({@link #addAcls}), then {@link #clientConfig}.
     */
    public static TestBroker startSecured(int partitions, String... topics) {
        return start(Map.of(), directory -> BrokerSecurity.scram(), false, partitions, topics);
    }

    /** As {@link #startSecured}, with clients over TLS (SASL_SSL) as production has them. */
    public static TestBroker startSecuredOverTls(int partitions, String... topics) {
        return start(Map.of(), directory -> BrokerSecurity.scramOverTls(directory.resolve("tls")), false, partitions, topics);
    }

    private static TestBroker start(Map<String, String> brokerConfig, Function<Path, BrokerSecurity> securityIn,
                                    boolean relayed, int partitions, String... topics) {
        Path directory;
        try {
            directory = Files.createTempDirectory("test-broker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        BrokerSecurity security = securityIn == null ? null : securityIn.apply(directory);
        KraftBroker.Node single = KraftBroker.Node.single(FreePorts.next(), FreePorts.next());
        Map<String, String> config = new HashMap<>(single.config());
        config.putAll(brokerConfig);
        TcpRelay relay = null;
        KraftBroker broker;
        try {
            if (relayed) {
                int relayedPort = FreePorts.next();
                relay = TcpRelay.start(new InetSocketAddress("127.0.0.1", relayedPort));
                config.put("listeners", "PLAINTEXT://127.0.0.1:" + single.port() + ",RELAYED://127.0.0.1:" + relayedPort
                        + ",CONTROLLER://127.0.0.1:" + single.controllerPort());
                config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + single.port()
                        + ",RELAYED://127.0.0.1:" + relay.port());
                config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,RELAYED:PLAINTEXT,CONTROLLER:PLAINTEXT");
            }
            broker = KraftBroker.start(directory, new KraftBroker.Node(single.id(), single.port(), single.controllerPort(),
                    single.voters(), Uuid.randomUuid().toString(), Map.copyOf(config)), security);
        } catch (RuntimeException e) {
            if (relay != null) {
                relay.close();
            }
            delete(directory);
            throw e;
        }
        TestBroker started = new TestBroker(directory, broker, security, relay);
        try {
            started.createTopics(partitions, topics);
        } catch (RuntimeException e) {
            started.close();
            throw e;
        }
        return started;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** Where clients bootstrap to reach the broker only through {@link #relay()}. */
    public String relayedBootstrapServers() {
        return "127.0.0.1:" + relay().port();
    }

    /** The relay between the broker and the clients that bootstrap from {@link #relayedBootstrapServers()}. */
    public TcpRelay relay() {
        if (relay == null) {
            throw new IllegalStateException("This broker has no relay: start it with startRelayed");
        }
        return relay;
    }

    /** A client that may do anything: the bootstrap servers, and on a secured broker the super user's login. */
    public Map<String, Object> adminConfig() {
        return security == null ? Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers())
                : security.adminConfig(bootstrapServers());
    }

    /** A client of a secured broker authenticated as {@code user}. */
    public Map<String, Object> clientConfig(String user, String password) {
        requireSecured();
        return security.clientConfig(bootstrapServers(), user, password);
    }

    /** Creates these users (SCRAM credentials) on a secured broker. */
    public void createUsers(Map<String, String> passwordsByUser) {
        requireSecured();
        BrokerSecurity.createUsers(adminConfig(), passwordsByUser);
    }

    /** Adds these ACLs on a secured broker. */
    public void addAcls(Collection<AclBinding> acls) {
        requireSecured();
        BrokerSecurity.addAcls(adminConfig(), acls);
    }

    private void requireSecured() {
        if (security == null) {
            throw new IllegalStateException("This broker has no users and no ACLs: start it with startSecured");
        }
    }

    /** Creates topics with this many partitions and one replica, and waits until they exist. */
    public void createTopics(int partitions, String... topics) {
        if (topics.length == 0) {
            return;
        }
        List<NewTopic> newTopics = Arrays.stream(topics).map(topic -> new NewTopic(topic, partitions, (short) 1)).toList();
        try (Admin admin = Admin.create(adminConfig())) {
            admin.createTopics(newTopics).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics " + Arrays.toString(topics), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create topics " + Arrays.toString(topics), e);
        }
    }

    /** Stops the broker and deletes its directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (relay != null) {
            relay.close();
        }
        try {
            broker.close();
        } finally {
            delete(directory);
        }
    }

    private static void delete(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("Cannot delete the test broker's directory {}", directory, e);
        }
    }
}
