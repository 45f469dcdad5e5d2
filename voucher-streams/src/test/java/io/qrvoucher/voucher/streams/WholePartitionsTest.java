package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * Which store partitions are whole, and when. TopologyTestDriver starts a task's processors at once; what a standby
 * or a restoring task answers a read is {@code VoucherQueriesTest}'s and the failover tests' to show.
 */
class WholePartitionsTest {

    /** Every store a restoring active task must not answer from. */
    private static final List<String> ANSWERED_WHOLE = List.of(VoucherTopology.VOUCHER_STORE,
            VoucherTopology.REQUEST_REFUSALS, VoucherTopology.CUSTOMER_SETTINGS_STORE, VoucherTopology.IDEMPOTENCY_CLAIMS,
            VoucherTopology.CUSTOMER_VOUCHERS_STORE);
    private static final String STORE = "a-store";
    private static final TopicPartition CHANGELOG = new TopicPartition("app-a-store-changelog", 0);

    private final WholePartitions whole = new WholePartitions();

    @Test
    void theStoresAnsweredWholeAreWholeFromTheirTasksStartUntilTheyClose() {
        VoucherTopologyFixture topology = new VoucherTopologyFixture();
        try {
            assertThat(ANSWERED_WHOLE).allMatch(topology::isWhole);
            assertThat(topology.isWhole(VoucherTopology.CUSTOMER_ATTEMPTS_STORE))
                    .as("counted from whatever the task has, even restoring").isFalse();
        } finally {
            topology.close();
        }
        assertThat(ANSWERED_WHOLE).noneMatch(topology::isWhole);
    }

    @Test
    void aPartitionMadeWholeAgainIsToldApartFromTheSameWholePartition() {
        Processor<String, String, Void, Void> first = started();
        Long firstTime = whole.wholeSince(STORE, 0);
        first.close();
        started();

        assertThat(firstTime).isNotNull();
        assertThat(whole.wholeSince(STORE, 0)).isNotNull().isNotEqualTo(firstTime);
    }

    @Test
    void aPartitionBeingRestoredHereIsNotWholeWhateverItsProcessorsSaid() {
        started();
        whole.restoreListener().onRestoreStart(CHANGELOG, STORE, 0, 10);

        assertThat(whole.wholeSince(STORE, 0)).isNull();
    }

    @Test
    void aPartitionAStandbyUpdatesHereIsNotWholeWhateverItsProcessorsSaid() {
        started();
        whole.standbyListener().onUpdateStart(CHANGELOG, STORE, 0);

        assertThat(whole.wholeSince(STORE, 0)).isNull();
    }

    /** A processor holding {@link #STORE} whole, started in task 0_0. */
    private Processor<String, String, Void, Void> started() {
        Processor<String, String, Void, Void> processor = whole.<String, String, Void, Void>whileOpen(() -> new Processor<>() {
            @Override
            public void process(Record<String, String> record) {
            }
        }, STORE).get();
        processor.init(new MockProcessorContext<>());
        return processor;
    }
}
