package io.qrvoucher.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.broker.TestBroker;
import io.qrvoucher.ingress.security.DemoTokens;
import io.qrvoucher.launcher.PipelineTopics;
import io.qrvoucher.launcher.Secrets;
import io.qrvoucher.launcher.ServiceArguments;
import io.qrvoucher.launcher.ServiceProcess;
import io.qrvoucher.ports.FreePorts;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.RequestSignatures;

/**
 * An ingress instance holds no copy of the vouchers: 200,000 vouchers put straight onto
 * {@code voucher-requests} (and made by voucher-streams) leave its heap after a full GC where it was,
 * while it keeps answering reads of them; and an instance started afterwards answers at once, having
 * read no history (it has no Kafka consumer). The figures go to target/reliability/footprint.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Order(4)
class IngressFootprintTest {

    private static final int VOUCHERS = 200_000;
    private static final int PAYERS = 1_000;
    private static final long MIB = 1024 * 1024;

    private TestBroker broker;
    private ServiceProcess topology;
    private ServiceProcess ingress;
    private final Secrets secrets = Secrets.random();
    private Path directory;

    @BeforeAll
    void start() {
        directory = PipelineStack.directoryFor("footprint");
        broker = TestBroker.start(6, PipelineTopics.ALL.toArray(String[]::new));
        int streamsPort = FreePorts.next();
        topology = new ServiceProcess("footprint-voucher-streams", "io.qrvoucher.voucher.app.VoucherStreamsApplication",
                streamsPort, FreePorts.next(), directory.resolve("logs"), ServiceProcess.TEST_JVM, ServiceArguments.voucherStreams(
                broker.bootstrapServers(), secrets, directory.resolve("voucher-streams"), streamsPort)).start().awaitReady();
        ingress = ingress("footprint-ingress-1").start().awaitReady();
    }

    @AfterAll
    void stop() {
        ingress.kill();
        topology.kill();
        broker.close();
    }

    @Test
    void anIngressHeapDoesNotGrowWithTheVouchersAndANewInstanceReadsNoHistory() throws Exception {
        Api api = new Api("http://localhost:" + ingress.port());
        String payer = "footprint-payer-0";
        Instant now = Instant.now();
        String token = DemoTokens.sign(payer, now, now.plus(Duration.ofHours(1)), "https://auth.qrvoucher.local",
                "qrvoucher-api", Base64.getDecoder().decode(secrets.demoTokenSecret()));
        readSome(api, token, List.of());
        long heapBefore = heapAfterFullGc(ingress);

        List<String> sample = putVouchersOnTheTopic();
        readSome(api, token, sample);
        long heapAfter = heapAfterFullGc(ingress);

        long started = System.nanoTime();
        ServiceProcess fresh = ingress("footprint-ingress-2").start().awaitReady();
        Duration readyIn = Duration.ofNanos(System.nanoTime() - started);
        try {
            Api freshApi = new Api("http://localhost:" + fresh.port());
            assertThat(freshApi.send("GET", "/api/vouchers/" + sample.get(0), token, null, null).status())
                    .as("a new instance answers at once, from the owner").isEqualTo(200);
        } finally {
            fresh.kill();
        }

        String report = String.format("| %,d vouchers | heap after full GC before: %d MiB | after: %d MiB | "
                        + "a new instance ready in %.1f s (JVM start included) |%n",
                VOUCHERS, heapBefore / MIB, heapAfter / MIB, readyIn.toMillis() / 1000.0);
        System.out.print(report);
        java.nio.file.Files.writeString(Path.of("target", "reliability", "footprint.md"), report);
        // The earlier in-memory view took about 1 KB a voucher: 200 MB here.
        assertThat(heapAfter - heapBefore).as(report).isLessThan(24 * MIB);
    }

    private ServiceProcess ingress(String name) {
        return new ServiceProcess(name, "io.qrvoucher.ingress.IngressApplication", FreePorts.next(),
                FreePorts.next(), directory.resolve("logs"), ServiceProcess.TEST_JVM,
                ServiceArguments.ingress(broker.bootstrapServers(), secrets, new int[] {FreePorts.next()},
                        topology.port()));
    }

    /** Generations of 1,000 payers straight onto voucher-requests; returns some of the vouchers of payer 0. */
    private List<String> putVouchersOnTheTopic() throws ExecutionException, InterruptedException {
        AvroSerde<VoucherRequest> requests = AvroSerde.of(VoucherRequest.class);
        RequestSignatures seal = secrets.requestSignatures();
        List<String> sample = new java.util.ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024),
                new StringSerializer(), new ByteArraySerializer())) {
            Instant now = Instant.now();
            for (int i = 0; i < VOUCHERS; i++) {
                String voucherId = UUID.randomUUID().toString();
                String payer = "footprint-payer-" + (i % PAYERS);
                if (i % PAYERS == 0 && sample.size() < 50) {
                    sample.add(voucherId);
                }
                byte[] generate = requests.encode(new VoucherRequest(UUID.randomUUID().toString(), voucherId, payer, now,
                        new GenerateVoucher(payer + "-cny", 1_00L, "CNY", null, "ab".repeat(32))));
                ProducerRecord<String, byte[]> record = new ProducerRecord<>("voucher-requests", voucherId, generate);
                seal.sign(record.headers(), voucherId, generate);
                producer.send(record);
            }
            producer.flush();
        }
        awaitAllProcessed();
        return sample;
    }

    /** Until voucher-streams has committed every request put on the topic. */
    private void awaitAllProcessed() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("voucher-streams")
                        .partitionsToOffsetAndMetadata().get();
                Set<TopicPartition> partitions = committed.keySet().stream()
                        .filter(partition -> partition.topic().equals("voucher-requests")).collect(Collectors.toSet());
                Map<TopicPartition, Long> ends = admin.listOffsets(partitions.stream()
                                .collect(Collectors.toMap(partition -> partition, partition -> OffsetSpec.latest())))
                        .all().get().entrySet().stream()
                        .collect(Collectors.toMap(Map.Entry::getKey, end -> end.getValue().offset()));
                return partitions.size() == 6 && ends.entrySet().stream()
                        .mapToLong(end -> end.getValue() - committed.get(end.getKey()).offset()).sum() == 0;
            });
        }
    }

    /** Reads vouchers and the payer's list through the ingress, so that its read path has run. */
    private static void readSome(Api api, String token, List<String> voucherIds) {
        for (int round = 0; round < 3; round++) {
            for (String voucherId : voucherIds) {
                assertThat(api.send("GET", "/api/vouchers/" + voucherId, token, null, null).status())
                        .as(voucherId).isEqualTo(200);
            }
            Api.Response list = api.send("GET", "/api/vouchers?size=100", token, null, null);
            assertThat(list.status()).as(list.raw()).isEqualTo(200);
        }
    }

    /** The ingress JVM's heap in use right after a full GC, as its own metrics report it. */
    private static long heapAfterFullGc(ServiceProcess service) throws IOException, InterruptedException {
        Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(service.handle().pid()), "GC.run").redirectErrorStream(true).start();
        assertThat(gc.waitFor(60, TimeUnit.SECONDS)).as("jcmd GC.run finished").isTrue();
        assertThat(gc.exitValue()).as("jcmd GC.run").isZero();
        Api api = new Api("http://localhost:" + service.managementPort());
        Api.Response used = api.send("GET", "/actuator/metrics/jvm.memory.used?tag=area:heap", null, null, null);
        @SuppressWarnings("unchecked")
        Map<String, Object> measurement = ((List<Map<String, Object>>) used.body().get("measurements")).get(0);
        return ((Number) measurement.get("value")).longValue();
    }
}
