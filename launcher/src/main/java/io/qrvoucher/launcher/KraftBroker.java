package io.qrvoucher.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A real single-node Kafka broker in KRaft mode (broker and controller in one process), keeping its
 * log under a directory of its own, so that a restart finds every topic and record again. The log
 * directory is formatted only on first start.
 */
final class KraftBroker implements AutoCloseable {

    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private KraftBroker(KafkaRaftServer server, String bootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    static KraftBroker start(Path directory, int port, int controllerPort) {
        try {
            Files.createDirectories(directory);
            Path logs = directory.resolve("logs");
            Properties config = new Properties();
            config.put("process.roles", "broker,controller");
            config.put("node.id", "1");
            config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            config.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
            config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            config.put("controller.listener.names", "CONTROLLER");
            config.put("inter.broker.listener.name", "PLAINTEXT");
            config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            config.put("log.dirs", logs.toString());
            // One broker: internal topics and transactions (exactly-once) must make do with one replica.
            config.put("offsets.topic.replication.factor", "1");
            config.put("transaction.state.log.replication.factor", "1");
            config.put("transaction.state.log.min.isr", "1");
            config.put("group.initial.rebalance.delay.ms", "0");
            config.put("auto.create.topics.enable", "false");
            // Alone, the broker has nobody to hand its partitions to: stop at once instead.
            config.put("controlled.shutdown.enable", "false");
            // A restart waits for the previous run's registration to lapse: keep that short.
            config.put("broker.heartbeat.interval.ms", "500");
            config.put("broker.session.timeout.ms", "1500");
            Path file = directory.resolve("server.properties");
            try (OutputStream out = Files.newOutputStream(file)) {
                config.store(out, "Embedded single-node KRaft broker of the demo run");
            }
            if (!Files.exists(logs.resolve("meta.properties"))) {
                format(file);
            }
            KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(config, false), Time.SYSTEM);
            server.startup();
            return new KraftBroker(server, "127.0.0.1:" + port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void format(Path configFile) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exit = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", configFile.toString()},
                new PrintStream(output, true, StandardCharsets.UTF_8));
        if (exit != 0) {
            throw new IllegalStateException("Cannot format the broker's log directory: " + output.toString(StandardCharsets.UTF_8));
        }
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
