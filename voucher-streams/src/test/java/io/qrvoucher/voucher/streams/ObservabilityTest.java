package io.qrvoucher.voucher.streams;

import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.codeOf;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.hashOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.support.TraceContext;

/** What the topology tells operators: the trace of each request, and its outcomes counted. */
class ObservabilityTest {

    @Test
    void theTraceOfARequestIsCarriedToTheCommandsAndEventsItCauses() {
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture()) {
            String trace = TraceContext.newTrace();
            RecordHeaders headers = new RecordHeaders();
            headers.add(TraceContext.HEADER, trace.getBytes());

            topology.send(new VoucherRequest("r1", "v1", "alice", topology.now(),
                    new GenerateVoucher("acc-alice", 100L, "CNY", null, hashOf(codeOf("v1")))), headers);

            assertThat(topology.commandRecords()).singleElement().satisfies(command ->
                    assertThat(TraceContext.of(command.headers()).map(TraceContext::traceIdOf))
                            .contains(TraceContext.traceIdOf(trace)));
            assertThat(topology.eventRecords()).singleElement().satisfies(event ->
                    assertThat(TraceContext.of(event.headers()).map(TraceContext::traceIdOf))
                            .contains(TraceContext.traceIdOf(trace)));
        }
    }

    @Test
    void vouchersAreCountedByOutcome() {
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture()) {
            topology.issue("v1", "alice", 100);
            topology.issue("v2", "alice", 100);
            topology.generate("v3", "bob", 100);
            topology.ledgerAnswers("v3", "/freeze", LedgerOutcome.FREEZE_REFUSED, "INSUFFICIENT_FUNDS");

            assertThat(topology.metric(TopologyMetrics.EVENTS_TOTAL, Map.of("event-type", "ISSUED"))).isEqualTo(2.0);
            assertThat(topology.metric(TopologyMetrics.EVENTS_TOTAL, Map.of("event-type", "REJECTED"))).isEqualTo(1.0);
        }
    }

    @Test
    void theCountsStayWhenTheTaskCloses() {
        VoucherTopologyFixture topology = new VoucherTopologyFixture();
        topology.issue("v1", "alice", 100);
        topology.generate("v2", "bob", 100);
        topology.ledgerAnswers("v2", "/freeze", LedgerOutcome.FREEZE_REFUSED, "INSUFFICIENT_FUNDS");

        topology.close(); // the task closes, as when it moves to another instance; the thread goes on

        assertThat(topology.metric(TopologyMetrics.EVENTS_TOTAL, Map.of("event-type", "ISSUED"))).isEqualTo(1.0);
        assertThat(topology.metric(TopologyMetrics.EVENTS_TOTAL, Map.of("event-type", "REJECTED"))).isEqualTo(1.0);
    }
}
