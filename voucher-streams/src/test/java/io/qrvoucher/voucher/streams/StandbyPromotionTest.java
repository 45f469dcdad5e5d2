package io.qrvoucher.voucher.streams;

import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.codeOf;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.hashOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.voucher.domain.HoldState;
import io.qrvoucher.voucher.domain.Money;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherLifecycle;
import io.qrvoucher.voucher.domain.VoucherPolicy;
import io.qrvoucher.voucher.domain.VoucherStatus;

/**
 * Kafka Streams makes an active task a standby, and a standby active again, over the stores it keeps open: the
 * processor is closed, and a processor initialised again over the same stores. Meanwhile the standby's store takes
 * the vouchers its new active owner made, which the task's indexes never saw. A task suspended and resumed keeps its
 * schedules too.
 */
class StandbyPromotionTest {

    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");

    private final MockProcessorContext<String, Object> context = new MockProcessorContext<>();
    private final KeyValueStore<String, byte[]> vouchers = store(VoucherTopology.VOUCHER_STORE);

    @Test
    void aTaskMadeActiveAgainExpiresTheVouchersItsStoreTookWhileItWasAStandby() {
        store(VoucherTopology.REQUEST_REFUSALS);
        VoucherIndexes indexes = VoucherIndexes.builder(VoucherTopology.VOUCHER_INDEXES, Duration.ofMinutes(5)).build();
        opened(indexes);
        VoucherProcessor processor = processor();
        context.setCurrentSystemTimeMs(NOW.toEpochMilli());
        processor.init(context);
        processor.close();

        // What the standby's store took from the changelog: a voucher its active owner issued.
        Instant end = NOW.plusSeconds(30);
        Voucher issued = new Voucher("v-issued-elsewhere", "alice", "acc-alice", new Money(100, "CNY"),
                hashOf(codeOf("v-issued-elsewhere")), VoucherStatus.UNUSED, HoldState.HELD, NOW, end, NOW, 2,
                "r-issued-elsewhere", null, null, null);
        vouchers.put(issued.id(), Vouchers.STATES.encode(AvroMapping.toAvro(issued)));

        context.scheduledPunctuators().clear();
        processor.init(context);
        context.setCurrentSystemTimeMs(end.plusSeconds(1).toEpochMilli());
        context.scheduledPunctuators().forEach(punctuator -> punctuator.getPunctuator().punctuate(end.plusSeconds(1).toEpochMilli()));

        assertThat(Vouchers.STATES.decode(vouchers.get(issued.id())).getStatus())
                .isEqualTo(io.qrvoucher.avro.VoucherStatus.EXPIRED);
        List<?> commands = context.forwarded(VoucherTopology.LEDGER_COMMANDS_SINK).stream()
                .map(forwarded -> forwarded.record().value()).toList();
        assertThat(commands).singleElement().satisfies(command ->
                assertThat(((LedgerCommand) command).getBody()).isInstanceOf(ReleaseFunds.class));
    }

    /** A task suspended and resumed (or revived) keeps its schedules and has its processor initialised again. */
    @Test
    void aProcessorClosedCancelsItsSchedulesSoThatOnlyTheNextInitsRun() {
        store(VoucherTopology.REQUEST_REFUSALS);
        opened(VoucherIndexes.builder(VoucherTopology.VOUCHER_INDEXES, Duration.ofMinutes(5)).build());
        VoucherProcessor processor = processor();
        processor.init(context);
        int scheduled = context.scheduledPunctuators().size();

        processor.close();

        assertThat(scheduled).as("expiry, watchdog and the sweeps of refusals and of vouchers at rest").isEqualTo(4);
        assertThat(context.scheduledPunctuators()).allMatch(MockProcessorContext.CapturedPunctuator::cancelled);
    }

    private static VoucherProcessor processor() {
        return new VoucherProcessor(new VoucherLifecycle(VoucherPolicy.standard(ZoneId.of("UTC"))),
                new VoucherTopology.ExpirySettings(Duration.ofSeconds(1), 10_000),
                new VoucherTopology.WatchdogSettings(Duration.ofMinutes(5), Duration.ofSeconds(1), StalledVouchers.NONE),
                Duration.ofHours(24), VoucherTopology.DEFAULT_FINAL_RETENTION, VoucherChanges.NONE, RecordTracing.NONE);
    }

    private KeyValueStore<String, byte[]> store(String name) {
        return opened(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build());
    }

    private <S extends StateStore> S opened(S store) {
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }
}
