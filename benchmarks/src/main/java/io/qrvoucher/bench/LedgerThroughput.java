package io.qrvoucher.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;

import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.launcher.LedgerDatabase;
import io.qrvoucher.launcher.Secrets;
import io.qrvoucher.launcher.ServiceArguments;
import io.qrvoucher.ledger.LedgerAdapterApplication;
import io.qrvoucher.ledger.core.AccountOpening;
import io.qrvoucher.ports.FreePorts;
import io.qrvoucher.schemas.AvroSerde;

/**
 * Ledger commands applied per second, idempotently, on PostgreSQL, by one and by two ledger-adapter
 * instances (each with its own fresh database and topics). Every voucher gets a freeze and then
 * either a partial transfer to a payee (the rest released) or a release, as vouchers do; payers
 * and payees are spread over {@code accounts} accounts each (one: every command on the same hot
 * accounts, as when one merchant pays out all vouchers). The clock starts when the instances are in
 * their group and the commands are sent, and stops when the group has committed the last one —
 * which the adapter does only after the command's result is published.
 */
final class LedgerThroughput {

    record Run(int instances, int consumers, int commands, double seconds, double commandsPerSecond,
               long resultsPublished) {
    }

    record Result(int partitions, int accounts, String mix, List<Run> runs) {
    }

    private static final AvroSerde<LedgerCommand> COMMANDS = AvroSerde.of(LedgerCommand.class);

    private final String bootstrapServers;
    private final Path directory;
    private final int partitions;
    private final int accounts;
    private final Map<String, String> overrides;
    private final PrintStream out;

    /** @param overrides ledger-adapter properties ({@code ledger.*}, {@code spring.*}), as given to the service */
    LedgerThroughput(String bootstrapServers, Path directory, int partitions, int accounts,
                     Map<String, String> overrides, PrintStream out) {
        this.bootstrapServers = bootstrapServers;
        this.directory = directory;
        this.partitions = partitions;
        this.accounts = accounts;
        this.overrides = Map.copyOf(overrides);
        this.out = out;
    }

    Result run(int commands, List<Integer> instanceCounts) {
        List<Run> runs = new ArrayList<>();
        for (int instances : instanceCounts) {
            runs.add(runWith(instances, commands));
        }
        return new Result(partitions, accounts, "freeze, then a 60% transfer or a release", runs);
    }

    private Run runWith(int instances, int commands) {
        String prefix = "bench-" + instances + "-";
        String commandsTopic = prefix + "ledger-commands";
        String resultsTopic = prefix + "ledger-results";
        String snapshotsTopic = prefix + "account-snapshots";
        String deadLettersTopic = prefix + "ledger-dead-letters";
        String group = prefix + "ledger-adapter";
        List<ConfigurableApplicationContext> adapters = new ArrayList<>();
        try (LedgerDatabase database = new LedgerDatabase(directory.resolve("postgres-" + instances),
                FreePorts.next()).start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(Stream.of(commandsTopic, resultsTopic, snapshotsTopic, deadLettersTopic)
                    .map(name -> new NewTopic(name, partitions, (short) 1)).toList()).all().get();
            for (int i = 1; i <= instances; i++) {
                List<String> arguments = new ArrayList<>(ServiceArguments.ledgerAdapter(bootstrapServers, Secrets.random(), database));
                arguments.addAll(List.of(
                        "--server.port=0", "--management.server.port=0",
                        "--spring.kafka.consumer.group-id=" + group,
                        "--ledger.topics.commands=" + commandsTopic,
                        "--ledger.topics.results=" + resultsTopic,
                        "--ledger.topics.account-snapshots=" + snapshotsTopic,
                        "--ledger.topics.dead-letters=" + deadLettersTopic,
                        // Measured: applying commands. The reconciliation reads voucher events, which this run has none of.
                        "--ledger.reconciliation.enabled=false",
                        "--spring.main.banner-mode=off", "--logging.level.root=WARN"));
                overrides.forEach((name, value) -> arguments.add("--" + name + "=" + value));
                adapters.add(LedgerAdapterApplication.builder().registerShutdownHook(false).run(arguments.toArray(String[]::new)));
            }
            openAccounts(adapters.get(0).getBean(AccountOpening.class));
            int consumers = adapters.stream().mapToInt(LedgerThroughput::consumers).sum();
            awaitMembers(admin, group, consumers);

            Completion completion = new Completion(admin);
            long started = System.nanoTime();
            send(commandsTopic, commands);
            ProgressBar progress = new ProgressBar(out, instances + " ledger adapter(s)");
            long done = completion.awaitCommitted(group, commandsTopic, commands, Duration.ofMinutes(15), progress);
            double seconds = TopologyThroughput.seconds(started, done);
            long results = completion.end(resultsTopic);
            Run run = new Run(instances, consumers, commands, seconds, commands / seconds, results);
            progress.done(String.format(
                    "%,d commands in %.2f s: %,.0f commands/s; %,d results", commands, seconds, run.commandsPerSecond(), results));
            return run;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            adapters.forEach(ConfigurableApplicationContext::close);
        }
    }

    private void openAccounts(AccountOpening opening) {
        opening.openBankAccounts("CNY");
        for (int i = 0; i < accounts; i++) {
            opening.openCustomerAccount("payer-" + i, "payer-" + i, "CNY", 1_000_000_000_00L, Long.MAX_VALUE / 4);
            opening.openCustomerAccount("payee-" + i, "payee-" + i, "CNY", 0L, Long.MAX_VALUE / 4);
        }
    }

    /** The command listener's consumers in one adapter instance. */
    private static int consumers(ConfigurableApplicationContext adapter) {
        return ((ConcurrentMessageListenerContainer<?, ?>) adapter.getBean(KafkaListenerEndpointRegistry.class)
                .getListenerContainer("ledger-commands")).getConcurrency();
    }

    /** The clock starts only when every consumer of every instance is in the group. */
    private static void awaitMembers(Admin admin, String group, int consumers) throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            try {
                ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                if (description.groupState() == GroupState.STABLE && description.members().size() == consumers) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(group + " did not settle with " + consumers + " members");
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }

    private void send(String topic, int commands) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(),
                new ByteArraySerializer())) {
            Instant now = Instant.now();
            for (int voucher = 0; voucher < commands / 2; voucher++) {
                String voucherId = "voucher-" + voucher;
                String payer = "payer-" + voucher % accounts;
                send(producer, topic, new LedgerCommand(voucherId + "/freeze", voucherId, now,
                        new FreezeFunds(payer, payer, 100L, "CNY")));
                Object settle = voucher % 2 == 0
                        ? new TransferFunds(60L, "CNY", "payee-" + voucher % accounts, new OwnAccount("payee-" + voucher % accounts))
                        : new ReleaseFunds();
                send(producer, topic, new LedgerCommand(voucherId + (voucher % 2 == 0 ? "/transfer" : "/release"),
                        voucherId, now, settle));
            }
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, LedgerCommand command) {
        producer.send(new ProducerRecord<>(topic, command.getVoucherId(), COMMANDS.encode(command)));
    }
}
