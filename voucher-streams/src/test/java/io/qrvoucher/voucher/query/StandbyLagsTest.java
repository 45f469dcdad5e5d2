package io.qrvoucher.voucher.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StandbyUpdateListener.SuspendReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StandbyLagsTest {

    private static final String STORE = "voucher-store";
    private static final TopicPartition CHANGELOG = new TopicPartition("voucher-streams-voucher-store-changelog", 2);

    private final StandbyLags lags = new StandbyLags(100);

    @AfterEach
    void close() {
        lags.close();
    }

    @Test
    void aCopyIsVouchedForWithinTheBoundAsOfTheLastLook() {
        assertThat(lags.caughtUp(STORE, 2)).as("before any look").isFalse();

        lags.look(() -> Map.of(STORE, Map.of(2, 100L, 3, 101L)));

        assertThat(lags.caughtUp(STORE, 2)).isTrue();
        assertThat(lags.caughtUp(STORE, 3)).as("beyond the bound").isFalse();
        assertThat(lags.caughtUp(STORE, 4)).as("not held here").isFalse();
    }

    /** A copy wiped and rebuilt since the last look would be vouched for by it, as far back as it now is. */
    @Test
    void aCopyWhoseUpdateStartsAnewIsNotVouchedForUntilALookAfterIt() {
        lags.look(() -> Map.of(STORE, Map.of(2, 0L)));

        lags.updates().onUpdateStart(CHANGELOG, STORE, 0);

        assertThat(lags.caughtUp(STORE, 2)).isFalse();
        lags.look(() -> Map.of(STORE, Map.of(2, 5L)));
        assertThat(lags.caughtUp(STORE, 2)).isTrue();
    }

    @Test
    void aCopyWhoseUpdateStoppedIsNotVouchedForUntilALookAfterIt() {
        lags.look(() -> Map.of(STORE, Map.of(2, 0L)));

        lags.updates().onUpdateSuspended(CHANGELOG, STORE, 10, 10, SuspendReason.MIGRATED);

        assertThat(lags.caughtUp(STORE, 2)).isFalse();
        lags.look(() -> Map.of(STORE, Map.of(2, 0L)));
        assertThat(lags.caughtUp(STORE, 2)).isTrue();
    }

    /** A reader that found something in a copy asks, once it has read, whether the copy started over meanwhile. */
    @Test
    void aReaderSeesACopyStartOverWhileItReadEvenOnceALaterLookVouchesForItAgain() {
        lags.look(() -> Map.of(STORE, Map.of(2, 0L)));
        Long vouchedSince = lags.vouchedSince(STORE, 2);
        assertThat(vouchedSince).isNotNull();
        assertThat(lags.changedSince(STORE, 2, vouchedSince)).isFalse();

        lags.updates().onUpdateStart(CHANGELOG, STORE, 0);
        lags.look(() -> Map.of(STORE, Map.of(2, 0L)));

        assertThat(lags.changedSince(STORE, 2, vouchedSince)).as("for the reader of the look before").isTrue();
        Long vouchedAgain = lags.vouchedSince(STORE, 2);
        assertThat(vouchedAgain).as("a look after the restart").isNotNull();
        assertThat(lags.changedSince(STORE, 2, vouchedAgain)).isFalse();
    }

    @Test
    void afterAFailedLookNoCopyIsVouchedFor() {
        lags.look(() -> Map.of(STORE, Map.of(2, 0L)));

        lags.look(() -> {
            throw new IllegalStateException("rebalancing");
        });

        assertThat(lags.caughtUp(STORE, 2)).isFalse();
    }
}
