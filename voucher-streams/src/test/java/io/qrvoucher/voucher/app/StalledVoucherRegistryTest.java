package io.qrvoucher.voucher.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrvoucher.voucher.app.StalledVoucherRegistry.StalledVoucher;
import io.qrvoucher.voucher.domain.HoldState;
import io.qrvoucher.voucher.domain.Money;
import io.qrvoucher.voucher.domain.Voucher;
import io.qrvoucher.voucher.domain.VoucherStatus;

class StalledVoucherRegistryTest {

    private static final Instant NOON = Instant.parse("2026-12-05T12:00:00Z");

    @Test
    void aListGivesTheLongestWaitingFirstAsManyAsAskedAndTheGaugeCountsThemAll() {
        StalledVoucherRegistry registry = new StalledVoucherRegistry();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        registry.bindTo(meters);
        // Reported in another order than they stalled; one fraction of a second apart, which their text would misorder.
        registry.stalled(waitingSince("v3", NOON.plusSeconds(2)));
        registry.stalled(waitingSince("v1", NOON));
        registry.stalled(waitingSince("v2", NOON.plusMillis(500)));
        registry.stalled(waitingSince("v4", NOON.plusSeconds(3)));
        registry.cleared("v4");

        assertThat(registry.longestWaiting(2)).extracting(StalledVoucher::voucherId).containsExactly("v1", "v2");
        assertThat(registry.longestWaiting(10)).extracting(StalledVoucher::voucherId).containsExactly("v1", "v2", "v3");
        assertThat(meters.get("vouchers.stalled").gauge().value()).isEqualTo(3.0);
    }

    private static Voucher waitingSince(String id, Instant since) {
        return new Voucher(id, "alice", "alice-cny", new Money(5_00, "CNY"), "ab".repeat(32), VoucherStatus.PENDING,
                HoldState.REQUESTED, since, since.plusSeconds(3600), since, 1, "gen-" + id, null, null, null);
    }
}
