package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.qrvoucher.voucher.streams.CustomerVoucherIndex.Role;

/** The keys of the per-customer index and the bounds of a query of them. */
class CustomerVoucherIndexTest {

    private static final Instant T = Instant.parse("2026-12-04T10:00:00.123Z");

    /** A list asked with bounds finer than a millisecond, as Instant.parse takes them: [from, to) still holds. */
    @Test
    void aBoundBetweenTwoMillisecondsKeepsTheRangeHalfOpen() {
        String atT = CustomerVoucherIndex.key("alice", Role.PAYER, T, "v1");

        assertThat(within(atT, Instant.EPOCH, T.plusNanos(500_000))).as("to half a millisecond after").isTrue();
        assertThat(within(atT, Instant.EPOCH, T)).as("to exactly then").isFalse();
        assertThat(within(atT, T, T.plusMillis(1))).as("from exactly then").isTrue();
        assertThat(within(atT, T.plusNanos(500_000), T.plusMillis(5))).as("from half a millisecond after").isFalse();
        assertThat(within(atT, T.minusNanos(500_000), T.plusMillis(5))).as("from half a millisecond before").isTrue();
    }

    private static boolean within(String key, Instant from, Instant to) {
        return key.compareTo(CustomerVoucherIndex.lowerBound("alice", Role.PAYER, to)) >= 0
                && key.compareTo(CustomerVoucherIndex.upperBound("alice", Role.PAYER, from)) <= 0;
    }
}
