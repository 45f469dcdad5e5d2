package io.qrvoucher.bench;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.launcher.PipelineTopics;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.BankRules;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.voucher.app.VoucherStreamsProperties;
import io.qrvoucher.voucher.streams.RecordTracing;
import io.qrvoucher.voucher.streams.StalledVouchers;
import io.qrvoucher.voucher.streams.VoucherChanges;
import io.qrvoucher.voucher.streams.WholePartitions;

/**
 * Requests per second the voucher topology sustains straight from Kafka, and in the same run, on the
 * same broker and the same input records, a baseline application that reads each record, gets and
 * puts it in a RocksDB store and writes it on. Both run with the voucher service's configuration
 * (exactly-once v2, its commit interval, one stream thread); the rounds alternate between the two,
 * after a first round of each that warms the JIT up and is not counted.
 *
 * <p>The input is what the ingress publishes most: requests to generate a voucher, each for a new
 * voucher id. For each one the topology reads its voucher (absent), decides, writes the voucher and
 * its expiry index entry, and emits a freeze command, a voucher event and the voucher's state.
 */
final class TopologyThroughput {

    /** @param cpuMicrosPerRecord CPU time of this JVM (application, its clients and the broker) per record */
    record Run(String application, int round, long records, double seconds, double recordsPerSecond,
               double cpuMicrosPerRecord) {
    }

    record Result(int partitions, long records, int recordBytes, long commitIntervalMs, int streamThreads,
                  double producerRecordsPerSecond, List<Run> runs, double baselineRecordsPerSecond,
                  double voucherRecordsPerSecond, double ratio) {
    }

    private static final String BASELINE_OUTPUT = "baseline-output";
    /** The bank's rules as a deployment without its own sets them. */
    private static final BankRules BANK_RULES = new Binder(new MapConfigurationPropertySource(Map.of()))
            .bindOrCreate("bank", BankRules.class);

    private final String bootstrapServers;
    private final Path stateRoot;
    private final int partitions;
    private final Map<String, String> voucherOverrides;
    private final PrintStream out;

    /** @param voucherOverrides {@code voucher.*} properties for both applications, as given to the service */
    TopologyThroughput(String bootstrapServers, Path stateRoot, int partitions, Map<String, String> voucherOverrides,
                       PrintStream out) {
        this.bootstrapServers = bootstrapServers;
        this.stateRoot = stateRoot;
        this.partitions = partitions;
        this.voucherOverrides = Map.copyOf(voucherOverrides);
        this.out = out;
    }

    Result run(int records, int rounds) {
        PipelineTopics.create(bootstrapServers, partitions, (short) 1);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic(BASELINE_OUTPUT, partitions, (short) 1))).all().get();
            Completion completion = new Completion(admin);
            VoucherStreamsProperties configured = properties("unused");
            KafkaConnection cluster = KafkaConnection.plaintext(bootstrapServers);
            String input = configured.topics().requests();
            long started = System.nanoTime();
            int recordBytes = produceGenerateRequests(input, records);
            double producerRate = records / seconds(started, System.nanoTime());
            out.printf("produced %,d generate requests of %d bytes at %,.0f records/s%n", records, recordBytes, producerRate);

            List<Run> runs = new ArrayList<>();
            // Round 0 warms the JIT up for both applications and is not counted.
            for (int round = 0; round <= rounds; round++) {
                runs.add(measure("baseline", round, completion, input, records,
                        StreamsApps.baselineTopology(input, BASELINE_OUTPUT),
                        properties("bench-baseline-" + round).streamsConfig(cluster)));
                VoucherStreamsProperties voucher = properties("bench-voucher-" + round);
                runs.add(measure("voucher-topology", round, completion, input, records, voucher.topology(BANK_RULES, VoucherChanges.NONE, StalledVouchers.NONE,
                        RecordTracing.NONE, new WholePartitions()),
                        voucher.streamsConfig(cluster)));
            }
            runs.removeIf(run -> run.round() == 0);
            double baselineRate = median(runs, "baseline");
            double voucherRate = median(runs, "voucher-topology");
            return new Result(partitions, records, recordBytes, configured.commitInterval().toMillis(),
                    configured.streamThreads(), producerRate, runs, baselineRate, voucherRate, voucherRate / baselineRate);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private VoucherStreamsProperties properties(String applicationId) {
        Map<String, String> given = new HashMap<>(voucherOverrides);
        given.put("voucher.application-id", applicationId);
        given.put("voucher.state-dir", stateRoot.resolve(applicationId).toString());
        return StreamsApps.voucherProperties(given);
    }

    /**
     * Runs one application from the start of the input, which holds {@code records} records (a fresh
     * broker's topic), until it has committed all of them.
     */
    private Run measure(String application, int round, Completion completion, String input, long records,
                        Topology topology, Properties config) throws InterruptedException {
        String group = config.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        AtomicLong runningSince = new AtomicLong();
        CountDownLatch running = new CountDownLatch(1);
        try (KafkaStreams streams = new KafkaStreams(topology, config)) {
            streams.setStateListener((now, before) -> {
                if (now == KafkaStreams.State.RUNNING && runningSince.compareAndSet(0, System.nanoTime())) {
                    running.countDown();
                }
            });
            streams.start();
            long cpuAtStart = processCpuNanos();
            if (!running.await(2, TimeUnit.MINUTES)) {
                throw new IllegalStateException(application + " did not start");
            }
            ProgressBar progress = new ProgressBar(out, application + " round " + round);
            long done = completion.awaitCommitted(group, input, records, Duration.ofMinutes(15), progress);
            double seconds = seconds(runningSince.get(), done);
            double cpuMicros = (processCpuNanos() - cpuAtStart) / 1e3 / records;
            Run run = new Run(application, round, records, seconds, records / seconds, cpuMicros);
            progress.done(String.format("%,d records in %.2f s: %,.0f records/s, %.1f µs CPU a record", records,
                    seconds, run.recordsPerSecond(), cpuMicros));
            streams.close(Duration.ofSeconds(30));
            streams.cleanUp();
            return run;
        }
    }

    private int produceGenerateRequests(String topic, int records) {
        AvroSerde<VoucherRequest> serde = AvroSerde.of(VoucherRequest.class);
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        int size = 0;
        ProgressBar progress = new ProgressBar(out, "producing input");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                VoucherRequest request = generateRequest(i);
                byte[] value = serde.encode(request);
                size = value.length;
                producer.send(new ProducerRecord<>(topic, request.getVoucherId().getBytes(StandardCharsets.UTF_8), value));
                progress.show(i + 1, records);
            }
            producer.flush();
        }
        return size;
    }

    /** A request to generate a new voucher, as the ingress publishes it. */
    static VoucherRequest generateRequest(int i) {
        String voucherId = UUID.randomUUID().toString();
        byte[] codeHash = new byte[32];
        ThreadLocalRandom.current().nextBytes(codeHash);
        return new VoucherRequest(UUID.randomUUID().toString(), voucherId, "customer-" + (i % 1000), Instant.now(),
                new GenerateVoucher("account-" + (i % 1000), 100L + i % 90_000, "CNY", null,
                        HexFormat.of().formatHex(codeHash)));
    }

    private static double median(List<Run> runs, String application) {
        double[] rates = runs.stream().filter(run -> run.application().equals(application))
                .mapToDouble(Run::recordsPerSecond).sorted().toArray();
        int middle = rates.length / 2;
        return rates.length % 2 == 1 ? rates[middle] : (rates[middle - 1] + rates[middle]) / 2;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static double seconds(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1e9;
    }
}
