package io.qrvoucher.voucher.query;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StandbyUpdateListener.SuspendReason;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/** The store partitions held only in part, as Kafka Streams reports restorations and standbys. */
class PartialPartitionsTest {

    private static final String STORE = "voucher-store";
    private static final TopicPartition CHANGELOG_2 = new TopicPartition("voucher-streams-voucher-store-changelog", 2);

    private final PartialPartitions partitions = new PartialPartitions();

    @Test
    void anActiveTaskIsPartialWhileItRestores() {
        partitions.onRestoreStart(CHANGELOG_2, STORE, 0, 500);
        partitions.onBatchRestored(CHANGELOG_2, STORE, 250, 250);

        assertThat(partitions.isPartial(STORE, 2)).isTrue();
        assertThat(partitions.isPartial(STORE, 1)).isFalse();
        assertThat(partitions.isPartial("request-refusals", 2)).isFalse();

        partitions.onRestoreEnd(CHANGELOG_2, STORE, 500);

        assertThat(partitions.isPartial(STORE, 2)).isFalse();
    }

    @Test
    void aRestorationSuspendedLeavesNothingPartial() {
        partitions.onRestoreStart(CHANGELOG_2, STORE, 0, 500);
        partitions.onRestoreSuspended(CHANGELOG_2, STORE, 100);

        assertThat(partitions.isPartial(STORE, 2)).isFalse();
    }

    @Test
    void aStandbyIsPartialUntilItIsPromotedThenItsRestorationToo() {
        partitions.onUpdateStart(CHANGELOG_2, STORE, 0);
        partitions.onBatchLoaded(CHANGELOG_2, STORE, new TaskId(0, 2), 400, 400, 420);
        assertThat(partitions.isPartial(STORE, 2)).isTrue();

        partitions.onUpdateSuspended(CHANGELOG_2, STORE, 400, 420, SuspendReason.PROMOTED);
        assertThat(partitions.isPartial(STORE, 2)).isFalse();

        // Promoted, it restores the 20 records the standby had not loaded yet.
        partitions.onRestoreStart(CHANGELOG_2, STORE, 400, 420);
        assertThat(partitions.isPartial(STORE, 2)).isTrue();
        partitions.onRestoreEnd(CHANGELOG_2, STORE, 20);
        assertThat(partitions.isPartial(STORE, 2)).isFalse();
    }

    @Test
    void aStandbyThatMovesAwayLeavesNothingPartial() {
        partitions.onUpdateStart(CHANGELOG_2, STORE, 0);
        partitions.onUpdateSuspended(CHANGELOG_2, STORE, 400, 420, SuspendReason.MIGRATED);

        assertThat(partitions.isPartial(STORE, 2)).isFalse();
    }
}
