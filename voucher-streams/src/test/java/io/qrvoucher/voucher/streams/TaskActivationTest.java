package io.qrvoucher.voucher.streams;

import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.codeOf;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.hashOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
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
import io.qrvoucher.voucher.domain.VoucherRequest;
import io.qrvoucher.voucher.domain.VoucherStatus;

/**
 * A task made active over a store that holds vouchers already: restored, or kept while the task was a standby. Kafka
 * Streams makes an active task a standby, and a standby active again, over the stores it keeps open: the processor is
 * closed, and a processor initialised again over the same stores. Meanwhile the standby's store takes the vouchers its
 * new active owner made, which the task's indexes never saw. A task suspended and resumed keeps its schedules too.
 * A task indexes its store a slice at a time, and goes on processing meanwhile.
 */
class TaskActivationTest {

    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private static final Instant END = NOW.plusSeconds(30);
    private static final Duration LISTING_GRACE = VoucherTopology.DEFAULT_LISTING_GRACE;

    private final MockProcessorContext<String, Object> context = new MockProcessorContext<>();
    private final KeyValueStore<String, byte[]> vouchers = store(VoucherTopology.VOUCHER_STORE);

    @Test
    void aTaskMadeActiveAgainExpiresTheVouchersItsStoreTookWhileItWasAStandby() {
        store(VoucherTopology.REQUEST_REFUSALS);
        VoucherIndexes indexes = indexes();
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
        opened(indexes());
        VoucherProcessor processor = processor();
        processor.init(context);
        int scheduled = context.scheduledPunctuators().size();

        processor.close();

        assertThat(scheduled).as("expiry, watchdog, listing and the sweeps of refusals and of vouchers at rest (an empty "
                + "store is indexed at once)").isEqualTo(5);
        assertThat(context.scheduledPunctuators()).allMatch(MockProcessorContext.CapturedPunctuator::cancelled);
    }

    @Test
    void aTaskStartingOverManyVouchersIndexesThemASliceAtATime() {
        Started task = startedOverFiveVouchersReadingTwoASlice();
        VoucherIndexes indexes = task.indexes();
        assertThat(indexes.expiryIndex().size()).as("read as the task started").isEqualTo(2);
        assertThat(indexesBeingBuilt()).isEqualTo(1);
        punctuateAll(NOW);
        assertThat(indexes.expiryIndex().size()).isEqualTo(4);
        assertThat(indexes.isBuilt()).isFalse();
        punctuateAll(NOW);
        assertThat(indexes.expiryIndex().size()).isEqualTo(5);
        assertThat(indexes.isBuilt()).isTrue();
        assertThat(context.scheduledPunctuators().stream().filter(schedule -> !schedule.cancelled()))
                .as("the build's schedule is done with").hasSize(5);
        assertThat(indexesBeingBuilt()).isZero();

        for (int round = 1; round <= 3; round++) {
            punctuateAll(END.plusSeconds(round));
        }
        assertThat(expired()).containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4");
    }

    /**
     * A voucher's id begins with its day: the store keeps months of vouchers at rest before today's, and the build reads
     * the newest first, so that those that can still expire do so on time while the rest is read.
     */
    @Test
    void aTaskStartingOverMonthsOfVouchersAtRestIndexesTheNewestFirst() {
        store(VoucherTopology.REQUEST_REFUSALS);
        VoucherIndexes indexes = opened(indexes());
        long today = LocalDate.ofInstant(NOW, ZoneOffset.UTC).toEpochDay();
        for (int i = 0; i < 20; i++) {
            kept(cancelledLongAgo(String.format("%04x-made-months-ago-%02d", today - 120, i)));
        }
        String madeToday = String.format("%04x-made-today", today);
        kept(unused(madeToday, END));
        VoucherProcessor processor = processor(2);
        context.setCurrentSystemTimeMs(NOW.toEpochMilli());
        processor.init(context);

        punctuateAll(END.plusSeconds(1));

        assertThat(indexes.isBuilt()).isFalse();
        assertThat(expired()).containsExactly(madeToday);
    }

    @Test
    void whileItsIndexesAreBuiltATaskFindsTheVouchersTheyDoNotKnowYet() {
        Started task = startedOverFiveVouchersReadingTwoASlice();
        VoucherIndexes indexes = task.indexes();
        VoucherProcessor processor = task.processor();

        processor.process(new Record<>("v4", new VoucherRequest.Cancel("cancel-v4", "v4", "alice", NOW), NOW.toEpochMilli()));
        processor.process(new Record<>("v3", new VoucherRequest.Generate("generate-again-v3", "v3", "alice", NOW,
                "acc-alice", new Money(500, "CNY"), Optional.empty(), hashOf(codeOf("v3-again"))), NOW.toEpochMilli()));

        assertThat(indexes.isBuilt()).isFalse();
        assertThat(status("v4")).as("cancelled, not unknown").isEqualTo(io.qrvoucher.avro.VoucherStatus.CANCELLED);
        assertThat(Vouchers.STATES.decode(vouchers.get("v3")).getFaceValueMinor()).as("not made afresh").isEqualTo(100);
        assertThat(context.forwarded(VoucherTopology.LEDGER_COMMANDS_SINK)).singleElement().satisfies(command ->
                assertThat(((LedgerCommand) command.record().value()).getBody()).isInstanceOf(ReleaseFunds.class));
    }

    /**
     * A voucher made, and one changed, while the build is partway: both indexed as they are, once. The build reads the
     * newest first: one made above where it started is never read by it, one changed below is read as it is then.
     */
    @Test
    void vouchersChangedWhileTheIndexesAreBuiltAreIndexedAsTheyAreOnceBuilt() {
        Started task = startedOverFiveVouchersReadingTwoASlice();
        VoucherIndexes indexes = task.indexes();
        VoucherProcessor processor = task.processor();

        processor.process(new Record<>("z-new", new VoucherRequest.Generate("generate-z-new", "z-new", "alice", NOW,
                "acc-alice", new Money(500, "CNY"), Optional.of(END), hashOf(codeOf("z-new"))), NOW.toEpochMilli()));
        processor.process(new Record<>("v0", new VoucherRequest.Cancel("cancel-v0", "v0", "alice", NOW), NOW.toEpochMilli()));
        punctuateAll(NOW);
        punctuateAll(NOW);

        assertThat(indexes.isBuilt()).isTrue();
        assertThat(indexes.mayHold("z-new")).as("made above where the build started, known").isTrue();
        assertThat(indexes.expiryIndex().size()).as("v1 to v4: not the cancelled v0, nor z-new, still pending")
                .isEqualTo(4);
        for (int round = 1; round <= 2; round++) {
            punctuateAll(END.plusSeconds(round));
        }
        assertThat(expired()).containsExactlyInAnyOrder("v1", "v2", "v3", "v4");
        assertThat(status("v0")).isEqualTo(io.qrvoucher.avro.VoucherStatus.CANCELLED);
    }

    /**
     * Its last owner listed the voucher, or not: it waited on the ledger for less than the grace when the task moved.
     * Listed again, it is the same entry.
     */
    @Test
    void aVoucherWaitingOnTheLedgerUnlistedWhenItsTaskMovesIsListedOnceItHasWaitedTheGrace() {
        store(VoucherTopology.REQUEST_REFUSALS);
        opened(indexes());
        Voucher pending = new Voucher("v-pending", "alice", "acc-alice", new Money(100, "CNY"), hashOf(codeOf("v-pending")),
                VoucherStatus.PENDING, HoldState.REQUESTED, NOW, END, NOW, 1, "r-v-pending", null, null, null);
        kept(pending);
        kept(unused("v-unused", END));
        VoucherProcessor processor = processor();
        context.setCurrentSystemTimeMs(NOW.toEpochMilli());
        processor.init(context);

        punctuateAll(NOW.plus(LISTING_GRACE).minusMillis(1));
        assertThat(context.forwarded(VoucherTopology.CUSTOMER_VOUCHERS_SINK)).as("not waited the grace yet").isEmpty();

        punctuateAll(NOW.plus(LISTING_GRACE));
        assertThat(context.forwarded(VoucherTopology.CUSTOMER_VOUCHERS_SINK)).singleElement().satisfies(entry -> {
            assertThat(entry.record().key()).isEqualTo(CustomerVoucherIndex.payerKey(AvroMapping.toAvro(pending)));
            assertThat(Vouchers.STATES.decode((byte[]) entry.record().value()).getStatus())
                    .isEqualTo(io.qrvoucher.avro.VoucherStatus.PENDING);
        });

        punctuateAll(NOW.plus(LISTING_GRACE.multipliedBy(2)));
        assertThat(context.forwarded(VoucherTopology.CUSTOMER_VOUCHERS_SINK)).as("listed once").hasSize(1);
    }

    private record Started(VoucherProcessor processor, VoucherIndexes indexes) {
    }

    /** A task made active over a store of five unused vouchers, v0 to v4, ending at {@link #END}. */
    private Started startedOverFiveVouchersReadingTwoASlice() {
        store(VoucherTopology.REQUEST_REFUSALS);
        VoucherIndexes indexes = opened(indexes());
        for (int i = 0; i < 5; i++) {
            kept(unused("v" + i, END));
        }
        VoucherProcessor processor = processor(2);
        context.setCurrentSystemTimeMs(NOW.toEpochMilli());
        processor.init(context);
        return new Started(processor, indexes);
    }

    /** What the task's gauge says: 1 while it builds its indexes. */
    private double indexesBeingBuilt() {
        return TopologyMetricNames.values(context.metrics().metrics(), TopologyMetricNames.INDEXES_BEING_BUILT, Map.of())
                .sum();
    }

    private static Voucher unused(String voucherId, Instant expiresAt) {
        return new Voucher(voucherId, "alice", "acc-alice", new Money(100, "CNY"), hashOf(codeOf(voucherId)),
                VoucherStatus.UNUSED, HoldState.HELD, NOW, expiresAt, NOW, 2, "r-" + voucherId, null, null, null);
    }

    /** At rest: cancelled, its hold released, months ago. */
    private static Voucher cancelledLongAgo(String voucherId) {
        Instant then = NOW.minus(Duration.ofDays(120));
        return new Voucher(voucherId, "alice", "acc-alice", new Money(100, "CNY"), hashOf(codeOf(voucherId)),
                VoucherStatus.CANCELLED, HoldState.RELEASED, then, then.plus(Duration.ofDays(1)), then, 3, "r-" + voucherId,
                "c-" + voucherId, null, null);
    }

    private void kept(Voucher voucher) {
        vouchers.put(voucher.id(), Vouchers.STATES.encode(AvroMapping.toAvro(voucher)));
    }

    private io.qrvoucher.avro.VoucherStatus status(String voucherId) {
        return Vouchers.STATES.decode(vouchers.get(voucherId)).getStatus();
    }

    private List<String> expired() {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = vouchers.all()) {
            all.forEachRemaining(voucher -> {
                if (Vouchers.STATES.decode(voucher.value).getStatus() == io.qrvoucher.avro.VoucherStatus.EXPIRED) {
                    expired.add(voucher.key);
                }
            });
        }
        return expired;
    }

    /** The stream thread coming round at {@code now}: every schedule of the task that is not cancelled runs once. */
    private void punctuateAll(Instant now) {
        context.setCurrentSystemTimeMs(now.toEpochMilli());
        List.copyOf(context.scheduledPunctuators()).stream().filter(schedule -> !schedule.cancelled())
                .forEach(schedule -> schedule.getPunctuator().punctuate(now.toEpochMilli()));
    }

    private static VoucherProcessor processor() {
        return processor(10_000);
    }

    /** @param slice how many vouchers a punctuation expires, and the build of the indexes reads, at most */
    private static VoucherProcessor processor(int slice) {
        return new VoucherProcessor(new VoucherLifecycle(VoucherPolicy.standard(ZoneId.of("UTC"))),
                new VoucherTopology.ExpirySettings(Duration.ofSeconds(1), slice),
                new VoucherTopology.WatchdogSettings(Duration.ofMinutes(5), Duration.ofSeconds(1), StalledVouchers.NONE),
                Duration.ofHours(24), VoucherTopology.DEFAULT_FINAL_RETENTION, LISTING_GRACE, VoucherChanges.NONE,
                RecordTracing.NONE);
    }

    private static VoucherIndexes indexes() {
        return VoucherIndexes.builder(VoucherTopology.VOUCHER_INDEXES, Duration.ofMinutes(5), LISTING_GRACE).build();
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
