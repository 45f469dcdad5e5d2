package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class KnownVoucherIdsTest {

    @Test
    void everyIdAddedIsKnownEvenPastTheFirstFiltersCapacityAndFewOthersAre() {
        KnownVoucherIds known = new KnownVoucherIds();
        int added = 2 * KnownVoucherIds.INITIAL_CAPACITY + 1000;
        IntStream.range(0, added).forEach(i -> known.add(id(i)));

        assertThat(IntStream.range(0, added).filter(i -> !known.mightContain(id(i))).count())
                .as("ids added but reported absent").isZero();
        long others = 100_000;
        long falselyKnown = IntStream.range(0, (int) others).filter(i -> known.mightContain(UUID.randomUUID().toString())).count();
        assertThat(falselyKnown).as("ids never added but reported present").isLessThan(others * 3 / 100);
    }

    @Test
    void clearingForgetsEveryId() {
        KnownVoucherIds known = new KnownVoucherIds();
        known.add("v1");
        assertThat(known.mightContain("v1")).isTrue();

        known.clear();

        assertThat(known.mightContain("v1")).isFalse();
    }

    private static String id(int i) {
        return new UUID(0x5eedL, i).toString();
    }
}
