package io.qrvoucher.voucher.streams;

import static io.qrvoucher.voucher.streams.IdempotencyClaims.CLAIMS;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.RequestRefusal;

/** The sweep of a store's entries past their retention ({@link RetentionSweep}), here of idempotency claims. */
class RetentionSweepTest {

    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private static final Duration RETENTION = Duration.ofHours(1);

    private final KeyValueStore<String, byte[]> claims = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore("swept"), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();

    RetentionSweepTest() {
        MockProcessorContext<Void, Void> context = new MockProcessorContext<>();
        claims.init(context.getStateStoreContext(), claims);
    }

    /**
     * A task set up again (a rebalance, a restart, a deployment) makes a new sweep: it goes on from where the last one
     * stopped. Had each started from the first key, young claims in front would have kept it from the old ones.
     */
    @Test
    void aSweepMadeAgainGoesOnFromWhereTheLastStoppedSoOldClaimsBehindYoungOnesGo() {
        for (int i = 0; i < 1_500; i++) {
            claim(String.format("a-young-%04d", i), NOW);
            claim(String.format("z-old-%04d", i), Instant.EPOCH);
        }

        for (int setUp = 0; setUp < 10; setUp++) {
            RetentionSweep sweep = sweepOfClaims();
            for (int minute = 0; minute < 20; minute++) {
                sweep.sweep(NOW);
            }
        }

        assertThat(keptClaims()).hasSize(1_500).allMatch(key -> key.startsWith("a-young-"));
    }

    /** After the last key the bookmark goes back to the first, so a pass ends and the next begins. */
    @Test
    void aPassThatReachedTheLastKeyStartsAgainFromTheFirst() {
        for (int i = 0; i < 15; i++) {
            claim(String.format("k-%02d", i), NOW);
        }
        RetentionSweep sweep = sweepOfClaims();
        sweep.sweep(NOW);
        assertThat(claims.get(RetentionSweep.BOOKMARK_KEY)).as("a pass of two slices, stopped after the first")
                .isNotNull();
        sweep.sweep(NOW);

        claim("k-00", Instant.EPOCH);
        sweepOfClaims().sweep(NOW);

        assertThat(keptClaims()).hasSize(14).doesNotContain("k-00");
    }

    /** Bytes under the bookmark's key that are no claim (a build of session 32 wrote plain ones) are no bookmark. */
    @Test
    void aBookmarkThatIsNoClaimIsReadAsNoneAndReplaced() {
        for (int i = 0; i < 15; i++) {
            claim(String.format("k-%02d", i), i == 0 ? Instant.EPOCH : NOW);
        }
        claims.put(RetentionSweep.BOOKMARK_KEY, "k-07".getBytes(java.nio.charset.StandardCharsets.UTF_8));

        sweepOfClaims().sweep(NOW);

        assertThat(keptClaims()).hasSize(14).doesNotContain("k-00");
        assertThat(IdempotencyClaims.BOOKMARKS.read().apply(claims.get(RetentionSweep.BOOKMARK_KEY))).isEqualTo("k-09");
    }

    /**
     * A release before this one keeps no bookmark and decodes every entry it sweeps as a claim (or a refusal): taking
     * over a task this release swept, it must read the bookmark as an entry too young to forget, not fail on it.
     */
    @Test
    void theReleaseBeforeReadsABookmarkAsAnEntryTooYoungToForget() {
        Instant farFromNow = NOW.plus(Duration.ofDays(365 * 1000));

        IdempotencyClaim claim = CLAIMS.decode(IdempotencyClaims.BOOKMARKS.write().apply("alice/key-7"));
        RequestRefusal refusal = RequestRefusals.REFUSALS.decode(RequestRefusals.BOOKMARKS.write().apply("request-7"));

        assertThat(claim.getClaimedAt()).isAfter(farFromNow);
        assertThat(refusal.getRefusedAt()).isAfter(farFromNow);
        assertThat(IdempotencyClaims.BOOKMARKS.read().apply(CLAIMS.encode(claim))).isEqualTo("alice/key-7");
        assertThat(RequestRefusals.BOOKMARKS.read().apply(RequestRefusals.REFUSALS.encode(refusal)))
                .isEqualTo("request-7");
    }

    private RetentionSweep sweepOfClaims() {
        return new RetentionSweep(claims, claim -> CLAIMS.decode(claim).getClaimedAt(), RETENTION, 10,
                IdempotencyClaims.BOOKMARKS);
    }

    private void claim(String key, Instant claimedAt) {
        claims.put(key, CLAIMS.encode(IdempotencyClaim.newBuilder().setClaimId(key).setCustomerId("alice")
                .setIdempotencyKey(key).setRequestHash("h").setRequestId("r-" + key).setVoucherId("v-" + key)
                .setClaimedAt(claimedAt).build()));
    }

    private List<String> keptClaims() {
        List<String> kept = new ArrayList<>();
        try (var entries = claims.all()) {
            entries.forEachRemaining(entry -> kept.add(entry.key));
        }
        kept.remove(RetentionSweep.BOOKMARK_KEY);
        return kept;
    }
}
