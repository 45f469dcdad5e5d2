package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import io.qrvoucher.voucher.domain.VoucherLifecycle;
import io.qrvoucher.voucher.domain.VoucherPolicy;

/**
 * A refused request's refusal is kept as long as an Idempotency-Key's claim holds and its voucher may still be open,
 * and then forgotten.
 */
class RefusalRetentionTest {

    private static final Duration CLAIM_WINDOW = VoucherTopology.DEFAULT_CLAIM_WINDOW;
    /** The fixture's: vouchers valid for one natural day at most, 25 h where the clocks go back. */
    private static final Duration RETENTION = Duration.ofHours(25);

    @Test
    void aRefusalIsKeptWhileItsVoucherMayBeOpenAndAtLeastWhileItsKeysClaimHolds() {
        VoucherLifecycle upToThreeDays = new VoucherLifecycle(new VoucherPolicy(ZoneOffset.UTC, 1, 3,
                new BigDecimal("1000.00"), Map.of()));
        VoucherLifecycle oneDay = new VoucherLifecycle(VoucherPolicy.standard(ZoneOffset.UTC));

        assertThat(VoucherTopology.refusalRetention(CLAIM_WINDOW, upToThreeDays)).isEqualTo(Duration.ofHours(73));
        assertThat(VoucherTopology.refusalRetention(CLAIM_WINDOW, oneDay)).isEqualTo(RETENTION);
        assertThat(VoucherTopology.refusalRetention(Duration.ofDays(7), oneDay))
                .isEqualTo(Duration.ofDays(7).plus(VoucherTopology.CLOCK_SKEW));
    }

    @Test
    void aRefusalIsForgottenOnceItsRetentionHasPassedAndAYoungerOneIsKept() {
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture()) {
            topology.issue("v1", "alice", 100);
            String old = topology.redeem("v1", "bob", 200L);
            topology.advance(RETENTION.minus(Duration.ofMinutes(5)));
            assertThat(refusals(topology).get(old)).as("past the claim window, while its voucher may be open")
                    .isNotNull();

            topology.issue("v2", "alice", 100);
            String young = topology.redeem("v2", "bob", 200L);
            topology.advance(Duration.ofMinutes(10));

            assertThat(refusals(topology).get(old)).isNull();
            assertThat(refusals(topology).get(young)).isNotNull();
        }
    }

    @Test
    void eachSweepReadsABoundedSliceFromWhereThePreviousStoppedSoYoungRefusalsInFrontDoNotHideOldOnes() {
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture(2)) {
            topology.issue("v1", "alice", 100);
            List.of("z-old-1", "z-old-2", "z-old-3").forEach(id -> refuseRedemption(topology, id, "v1"));
            topology.advance(RETENTION.minus(Duration.ofHours(1)));
            topology.issue("v2", "alice", 100);
            // In request id order these come first: a sweep that always began at the first would only ever read them.
            List.of("a-young-1", "a-young-2", "a-young-3").forEach(id -> refuseRedemption(topology, id, "v2"));
            assertThat(topology.keysOf(VoucherTopology.REQUEST_REFUSALS)).hasSize(6);

            topology.advance(Duration.ofHours(2));
            for (int sweep = 0; sweep < 3; sweep++) {
                topology.advance(RetentionSweep.INTERVAL);
            }

            assertThat(topology.keysOf(VoucherTopology.REQUEST_REFUSALS))
                    .containsExactly("a-young-1", "a-young-2", "a-young-3");
        }
    }

    /** A redemption of more than the voucher's face value, under the given request id: refused. */
    private static void refuseRedemption(VoucherTopologyFixture topology, String requestId, String voucherId) {
        topology.redeemAs(requestId, voucherId, "bob", VoucherTopologyFixture.codeOf(voucherId), 200L);
    }

    private static KeyValueStore<String, byte[]> refusals(VoucherTopologyFixture topology) {
        return topology.keyValueStore(VoucherTopology.REQUEST_REFUSALS);
    }
}
