package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class DeadLetterHeadersTest {

    /** A reason that quotes a key of 600 KB: kept whole, the dead letter outgrew what a producer sends. */
    @Test
    void aReasonQuotingWhatWasRefusedIsKeptShort() {
        String reason = reasonOf(new IllegalArgumentException("Key " + "k".repeat(600_000) + " is not the id of its record"));

        assertThat(reason.getBytes(StandardCharsets.UTF_8)).hasSizeLessThan(1_100);
        assertThat(reason).startsWith("Key kkk").endsWith("(600032 characters in all)");
    }

    @Test
    void aShortReasonIsKeptAsItIs() {
        assertThat(reasonOf(new IllegalStateException("not a voucher request"))).isEqualTo("not a voucher request");
    }

    private static String reasonOf(Throwable cause) {
        return new String(DeadLetterHeaders.describe(new RecordHeaders(), "ledger-results", 0, 7L, cause)
                .lastHeader(DeadLetterHeaders.REASON).value(), StandardCharsets.UTF_8);
    }
}
