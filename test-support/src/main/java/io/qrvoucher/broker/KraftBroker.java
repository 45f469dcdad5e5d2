package io.qrvoucher.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A real Kafka node in KRaft mode, broker and controller in one, keeping its log under a directory
 * of its own so that a restart finds every topic and record again. The log directory is formatted
 * only on first start. A cluster is several nodes that name the same controller quorum (a static
 * voter set) and the same cluster id. Clients connect PLAINTEXT, or with {@link BrokerSecurity} SASL
 * (SCRAM) under ACLs.
 */
public final class KraftBroker implements AutoCloseable {

    /** Where one node listens, and who votes for the controller. */
    public record Node(int id, int port, int controllerPort, String voters, String clusterId, Map<String, String> config) {

        /** A cluster of one. */
        public static Node single(int port, int controllerPort) {
            return new Node(1, port, controllerPort, "1@127.0.0.1:" + controllerPort, Uuid.randomUuid().toString(), Map.of(
                    // One broker: internal topics and transactions (exactly-once) make do with one replica.
                    "offsets.topic.replication.factor", "1",
                    "transaction.state.log.replication.factor", "1",
                    "transaction.state.log.min.isr", "1",
                    // Alone, the broker has nobody to hand its partitions to: stop at once instead.
                    "controlled.shutdown.enable", "false",
                    // The one-machine run shares a few cores with everything else: the defaults (8 request handlers,
                    // 3 network threads) are for a broker with cores of its own. With fewer, a request more often
                    // finds a thread awake instead of waking one (docs/benchmarks.md, tuning log).
                    "num.io.threads", "2",
                    "num.network.threads", "1"));
        }
    }

    private final Node node;
    private final KafkaConfig config;
    private KafkaRaftServer server;

    private KraftBroker(Node node, KafkaConfig config) {
        this.node = node;
        this.config = config;
    }

    /** A node whose clients connect PLAINTEXT, without authentication. */
    public static KraftBroker start(Path directory, Node node) {
        return start(directory, node, null);
    }

    /** A node whose clients authenticate (SASL/SCRAM) and are authorized by ACLs; null for PLAINTEXT. */
    public static KraftBroker start(Path directory, Node node, BrokerSecurity security) {
        try {
            Files.createDirectories(directory);
            Path logs = directory.resolve("logs");
            String clientListener = security == null ? "PLAINTEXT" : BrokerSecurity.CLIENT_LISTENER;
            Properties config = new Properties();
            config.put("process.roles", "broker,controller");
            config.put("node.id", Integer.toString(node.id()));
            config.put("controller.quorum.voters", node.voters());
            config.put("listeners", clientListener + "://127.0.0.1:" + node.port() + ",CONTROLLER://127.0.0.1:" + node.controllerPort());
            config.put("advertised.listeners", clientListener + "://127.0.0.1:" + node.port());
            config.put("controller.listener.names", "CONTROLLER");
            if (security == null) {
                config.put("inter.broker.listener.name", "PLAINTEXT");
                config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            } else {
                config.putAll(security.brokerConfig("CONTROLLER"));
            }
            config.put("log.dirs", logs.toString());
            config.put("group.initial.rebalance.delay.ms", "0");
            config.put("auto.create.topics.enable", "false");
            // A restart waits for the previous run's registration to lapse: keep that short.
            config.put("broker.heartbeat.interval.ms", "500");
            config.put("broker.session.timeout.ms", "3000");
            config.putAll(node.config());
            Path file = directory.resolve("server.properties");
            try (OutputStream out = Files.newOutputStream(file)) {
                config.store(out, "Embedded KRaft node " + node.id());
            }
            if (!Files.exists(logs.resolve("meta.properties"))) {
                format(file, node.clusterId(), security == null ? List.of() : security.formatArguments());
            }
            KraftBroker broker = new KraftBroker(node, new KafkaConfig(config, false));
            broker.startup();
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void format(Path configFile, String clusterId, List<String> moreArguments) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        List<String> arguments = new ArrayList<>(List.of("format", "-t", clusterId, "-c", configFile.toString()));
        arguments.addAll(moreArguments);
        int exit = StorageTool.execute(arguments.toArray(String[]::new), new PrintStream(output, true, StandardCharsets.UTF_8));
        if (exit != 0) {
            throw new IllegalStateException("Cannot format the broker's log directory: " + output.toString(StandardCharsets.UTF_8));
        }
    }

    /** Starts the node again after {@link #shutdown()}, from its log directory. */
    public synchronized void startup() {
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
    }

    public synchronized void shutdown() {
        server.shutdown();
        server.awaitShutdown();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + node.port();
    }

    @Override
    public void close() {
        shutdown();
    }
}
