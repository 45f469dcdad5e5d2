package io.qrvoucher.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import io.qrvoucher.broker.KraftBroker;
import io.qrvoucher.launcher.PipelineTopics;

/**
 * A single-node KRaft broker with the pipeline's topics, in a JVM of its own so that its CPU and
 * memory are measured apart from the services'. Started as a {@link io.qrvoucher.launcher.ServiceProcess}:
 * {@code --server.port} is the Kafka port; also {@code --controller-port}, {@code --data-dir},
 * {@code --partitions}.
 */
public final class BrokerMain {

    private BrokerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            if (arg.startsWith("--") && arg.contains("=")) {
                options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            }
        }
        KraftBroker broker = KraftBroker.start(Path.of(options.get("data-dir")), KraftBroker.Node.single(
                Integer.parseInt(options.get("server.port")), Integer.parseInt(options.get("controller-port"))));
        PipelineTopics.create(broker.bootstrapServers(), Integer.parseInt(options.get("partitions")), (short) 1);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "broker-shutdown"));
        System.out.println("Broker ready at " + broker.bootstrapServers());
        stopped.await();
    }
}
