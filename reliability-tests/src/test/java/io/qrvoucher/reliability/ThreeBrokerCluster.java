package io.qrvoucher.reliability;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.common.Uuid;

import io.qrvoucher.broker.BrokerSecurity;
import io.qrvoucher.broker.KraftBroker;
import io.qrvoucher.ports.FreePorts;

/**
 * A real three-node KRaft cluster in this JVM, from the Kafka server artifacts (each node broker and
 * controller, a static voter set): replication factor 3 and {@code min.insync.replicas} 2 everywhere,
 * so that any one node can be stopped and started again under load. Its clients authenticate (SCRAM)
 * and are authorized by ACLs, as in production ({@link BrokerSecurity}).
 */
final class ThreeBrokerCluster implements AutoCloseable {

    private final List<KraftBroker> nodes;
    private final BrokerSecurity security;

    private ThreeBrokerCluster(List<KraftBroker> nodes, BrokerSecurity security) {
        this.nodes = nodes;
        this.security = security;
    }

    static ThreeBrokerCluster start(Path directory, BrokerSecurity security) {
        int[] ports = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
        int[] controllerPorts = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
        String voters = java.util.stream.IntStream.range(0, 3)
                .mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllerPorts[i]).collect(Collectors.joining(","));
        String clusterId = Uuid.randomUuid().toString();
        Map<String, String> replicated = Map.of(
                "default.replication.factor", "3",
                "min.insync.replicas", "2",
                "offsets.topic.replication.factor", "3",
                "transaction.state.log.replication.factor", "3",
                "transaction.state.log.min.isr", "2",
                // A stopped node's leaderships move after its session times out (3 s): no controlled
                // shutdown, which would wait for a controller quorum that a full restart takes away.
                "controlled.shutdown.enable", "false");
        KraftBroker[] nodes = new KraftBroker[3];
        // The nodes start together: each waits for a quorum of the others.
        try {
            startTogether(java.util.stream.IntStream.range(0, 3).<Runnable>mapToObj(node -> () -> nodes[node] = KraftBroker.start(
                    directory.resolve("kafka-" + (node + 1)),
                    new KraftBroker.Node(node + 1, ports[node], controllerPorts[node], voters, clusterId, replicated), security)).toList());
        } catch (RuntimeException failed) {
            // Those that started would hold their ports and threads for the rest of the test JVM.
            for (KraftBroker started : nodes) {
                if (started != null) {
                    started.close();
                }
            }
            throw failed;
        }
        return new ThreeBrokerCluster(List.of(nodes), security);
    }

    String bootstrapServers() {
        return nodes.stream().map(KraftBroker::bootstrapServers).collect(Collectors.joining(","));
    }

    /** A client logged in as the super user: an operator, whom no ACL restricts. */
    Map<String, Object> adminConfig() {
        return security.adminConfig(bootstrapServers());
    }

    /** Stops one node (1 to 3), cleanly: its partitions' leadership moves to the others. */
    void stopBroker(int node) {
        nodes.get(node - 1).shutdown();
    }

    void startBroker(int node) {
        nodes.get(node - 1).startup();
    }

    /** Stops every node, then starts them all again together (a quorum needs two of them up). */
    void restartAll() {
        nodes.forEach(KraftBroker::shutdown);
        startTogether(nodes.stream().<Runnable>map(node -> node::startup).toList());
    }

    /** The time a node is given to start, a quorum's election included: a node that never gets one fails the test. */
    private static final Duration START_BOUND = Duration.ofMinutes(3);

    /** Starts the nodes at once (each waits for a quorum of the others), and fails if one fails or is not up in time. */
    private static void startTogether(List<Runnable> starts) {
        ExecutorService starting = Executors.newFixedThreadPool(starts.size());
        try {
            CompletableFuture.allOf(starts.stream().map(start -> CompletableFuture.runAsync(start, starting))
                    .toArray(CompletableFuture[]::new)).get(START_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("A broker of the cluster failed to start", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("The brokers of the cluster were not all up within " + START_BOUND, e);
        } finally {
            starting.shutdownNow();
        }
    }

    @Override
    public void close() {
        nodes.forEach(KraftBroker::close);
    }
}
