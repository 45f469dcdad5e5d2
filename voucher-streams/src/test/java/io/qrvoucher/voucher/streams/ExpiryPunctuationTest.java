package io.qrvoucher.voucher.streams;

import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.PUNCTUATION_INTERVAL;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.codeOf;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.hashOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.voucher.domain.VoucherStatus;

/** The expiry punctuation does work in proportion to what is due, not to what is alive. */
class ExpiryPunctuationTest {

    @Test
    void aPunctuationWithOneHundredThousandLiveVouchersOfWhichTenAreDueReadsTenIndexEntries() {
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture()) {
            Instant soon = topology.now().plus(Duration.ofMinutes(5)).plusMillis(500);
            for (int i = 0; i < 100_000; i++) {
                boolean due = i % 10_000 == 0;
                topology.seedIssuedVoucher("v" + i, due ? soon : VoucherTopologyFixture.END_OF_START_DAY);
            }
            assertThat(topology.expiryIndexSize()).isEqualTo(100_000);
            double readBefore = topology.metric(TopologyMetrics.ENTRIES_READ_TOTAL);

            topology.advanceTo(soon.plus(PUNCTUATION_INTERVAL));

            assertThat(topology.events()).hasSize(10).allSatisfy(event ->
                    assertThat(event.getType()).isEqualTo(VoucherEventType.EXPIRED));
            assertThat(topology.commands()).as("each expired hold is released").hasSize(10);
            assertThat(topology.metric(TopologyMetrics.ENTRIES_READ_TOTAL) - readBefore).isEqualTo(10.0);
            assertThat(topology.metric(TopologyMetrics.EXPIRED_TOTAL)).isEqualTo(10.0);
            assertThat(topology.expiryIndexSize()).isEqualTo(99_990);
        }
    }

    @Test
    void onePunctuationExpiresAtMostItsBoundAndTheNextTakesTheRest() {
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture(4)) {
            Instant soon = topology.now().plus(Duration.ofMinutes(1));
            for (int i = 0; i < 10; i++) {
                generate(topology, "v" + i, soon);
                topology.ledgerAnswers("v" + i, "/freeze", LedgerOutcome.FROZEN, null);
            }
            topology.events();

            topology.advanceTo(soon.plus(PUNCTUATION_INTERVAL));
            assertThat(topology.events()).extracting(VoucherEvent::getType).hasSize(4);

            topology.advance(PUNCTUATION_INTERVAL);
            assertThat(topology.events()).hasSize(4);

            topology.advance(PUNCTUATION_INTERVAL);
            assertThat(topology.events()).hasSize(2);
            assertThat(topology.expiryIndexSize()).isZero();
        }
    }

    @Test
    void aStartingTaskIndexesItsVouchersThatCanExpireAndTheyExpireOnTime() {
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture()) {
            Instant soon = topology.now().plus(Duration.ofMinutes(5));
            topology.seedVoucherOnly("due", VoucherStatus.UNUSED, soon);
            topology.seedVoucherOnly("later", VoucherStatus.UNUSED, VoucherTopologyFixture.END_OF_START_DAY);
            topology.seedVoucherOnly("redeemed", VoucherStatus.REDEEMED, soon);
            assertThat(topology.expiryIndexSize()).isZero();

            assertThat(topology.buildIndexes()).isEqualTo(3);
            assertThat(topology.expiryIndexSize()).isEqualTo(2);

            topology.advanceTo(soon.plus(PUNCTUATION_INTERVAL));
            assertThat(topology.events()).singleElement().satisfies(event -> {
                assertThat(event.getVoucherId()).isEqualTo("due");
                assertThat(event.getType()).isEqualTo(VoucherEventType.EXPIRED);
            });
            assertThat(topology.stored("redeemed").getStatus()).isEqualTo(io.qrvoucher.avro.VoucherStatus.REDEEMED);
            assertThat(topology.expiryIndexSize()).isEqualTo(1);
        }
    }

    private static void generate(VoucherTopologyFixture topology, String voucherId, Instant expiresAt) {
        topology.send(new VoucherRequest("r-" + voucherId, voucherId, "alice", topology.now(),
                new GenerateVoucher("acc-alice", 100L, "CNY", expiresAt, hashOf(codeOf(voucherId)))));
    }
}
