package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class WholePartitionsTest {

    private static final List<String> READ_BY_KEY = List.of(VoucherTopology.VOUCHER_STORE,
            VoucherTopology.REQUEST_REFUSALS, VoucherTopology.CUSTOMER_SETTINGS_STORE, VoucherTopology.IDEMPOTENCY_CLAIMS);

    @Test
    void theStoresReadByKeyAreWholeFromTheirTasksStartUntilTheyClose() {
        VoucherTopologyFixture topology = new VoucherTopologyFixture();
        try {
            assertThat(READ_BY_KEY).allMatch(topology::isWhole);
            assertThat(topology.isWhole(VoucherTopology.CUSTOMER_VOUCHERS_STORE))
                    .as("read by range from whichever task holds it").isFalse();
        } finally {
            topology.close();
        }
        assertThat(READ_BY_KEY).noneMatch(topology::isWhole);
    }
}
