package io.qrvoucher.support;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class TraceContextTest {

    @Test
    void aHopKeepsTheTraceAndNamesANewParent() {
        String root = TraceContext.newTrace();

        String child = TraceContext.childOf(root);

        assertThat(TraceContext.parse(root)).contains(root);
        assertThat(TraceContext.traceIdOf(child)).isEqualTo(TraceContext.traceIdOf(root));
        assertThat(child).isNotEqualTo(root).endsWith("-01");
    }

    @Test
    void recordsCarryItInAHeader() {
        String root = TraceContext.newTrace();
        RecordHeaders headers = new RecordHeaders();

        TraceContext.continueIn(headers, root);

        assertThat(TraceContext.of(headers)).hasValueSatisfying(carried ->
                assertThat(TraceContext.traceIdOf(carried)).isEqualTo(TraceContext.traceIdOf(root)));
    }

    @Test
    void malformedOrZeroTraceparentsAreIgnored() {
        assertThat(TraceContext.parse(null)).isEmpty();
        assertThat(TraceContext.parse("00-xyz-abc-01")).isEmpty();
        assertThat(TraceContext.parse("00-" + "0".repeat(32) + "-" + "1".repeat(16) + "-01")).isEmpty();
        assertThat(TraceContext.of(new RecordHeaders())).isEmpty();
    }
}
