package io.qrvoucher.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LedgerPropertiesTest {

    /** Wrong, the default would fail every opening that gives no limit of its own, as a 500: refused at start. */
    @Test
    void aDefaultDailyOutwardLimitNoAccountCouldHaveStopsTheStart() {
        for (long wrong : new long[] {-1, LedgerProperties.Admin.MAX_DEFAULT_DAILY_OUTWARD_LIMIT + 1, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> new LedgerProperties.Admin("operator", "secret", wrong)).as("%d", wrong)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ledger.admin.default-daily-outward-limit");
        }
        assertThat(new LedgerProperties.Admin("operator", "secret", 0).defaultDailyOutwardLimit()).isZero();
        assertThat(new LedgerProperties.Admin("operator", "secret", LedgerProperties.Admin.MAX_DEFAULT_DAILY_OUTWARD_LIMIT)
                .defaultDailyOutwardLimit()).isEqualTo(LedgerProperties.Admin.MAX_DEFAULT_DAILY_OUTWARD_LIMIT);
    }
}
