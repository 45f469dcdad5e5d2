package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The sweep of a store's entries past their retention ({@link RetentionSweep}). */
class RetentionSweepTest {

    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private static final Duration RETENTION = Duration.ofHours(1);

    /**
     * A task set up again (a rebalance, a restart) makes a new sweep: it goes on from where the last one stopped. Had
     * each started from the first key, young entries in front would have kept it from ever reaching the old ones.
     */
    @Test
    void aSweepMadeAgainGoesOnFromWhereTheLastStoppedSoOldEntriesBehindYoungOnesGo() {
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("swept"),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
        MockProcessorContext<Void, Void> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
        for (int i = 0; i < 1_500; i++) {
            store.put(String.format("a-young-%04d", i), NOW.toString().getBytes(StandardCharsets.UTF_8));
            store.put(String.format("z-old-%04d", i), Instant.EPOCH.toString().getBytes(StandardCharsets.UTF_8));
        }

        for (int setUp = 0; setUp < 10; setUp++) {
            RetentionSweep sweep = new RetentionSweep(store,
                    value -> Instant.parse(new String(value, StandardCharsets.UTF_8)), RETENTION, 10);
            for (int minute = 0; minute < 20; minute++) {
                sweep.sweep(NOW);
            }
        }

        List<String> kept = new ArrayList<>();
        try (var entries = store.all()) {
            entries.forEachRemaining(entry -> kept.add(entry.key));
        }
        kept.remove(RetentionSweep.POSITION);
        assertThat(kept).hasSize(1_500).allMatch(key -> key.startsWith("a-young-"));
    }
}
