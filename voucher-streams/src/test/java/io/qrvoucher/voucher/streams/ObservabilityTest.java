package io.qrvoucher.voucher.streams;

import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.codeOf;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.hashOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import io.opentelemetry.sdk.trace.data.SpanData;
import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.voucher.app.TracedRecords;

/** What the topology tells operators: the trace of each request, and its outcomes counted. */
class ObservabilityTest {

    private static final String TRACEPARENT = "traceparent";
    private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER_SPAN = "b7ad6b7169203331";

    @Test
    void handlingARequestContinuesItsTraceAndIsTheParentOfTheCommandsAndEventsItCauses() {
        InMemoryTracing tracing = new InMemoryTracing();
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture(new TracedRecords(tracing.kafka()))) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(TRACEPARENT, ("00-" + TRACE_ID + "-" + CALLER_SPAN + "-01").getBytes(StandardCharsets.UTF_8));

            topology.send(new VoucherRequest("r1", "v1", "alice", topology.now(),
                    new GenerateVoucher("acc-alice", 100L, "CNY", null, hashOf(codeOf("v1")))), headers);

            SpanData handling = tracing.finishedSpans().get(0);
            assertThat(tracing.finishedSpans()).hasSize(1);
            assertThat(handling.getName()).isEqualTo(VoucherTopology.APPLY_INPUTS);
            assertThat(handling.getTraceId()).isEqualTo(TRACE_ID);
            assertThat(handling.getParentSpanId()).isEqualTo(CALLER_SPAN);
            String carriedOn = "00-" + TRACE_ID + "-" + handling.getSpanId() + "-01";
            assertThat(topology.commandRecords()).singleElement()
                    .satisfies(command -> assertThat(traceparentOf(command.headers())).isEqualTo(carriedOn));
            assertThat(topology.eventRecords()).singleElement()
                    .satisfies(event -> assertThat(traceparentOf(event.headers())).isEqualTo(carriedOn));
        }
    }

    @Test
    void aRequestWithoutATraceStartsOne() {
        InMemoryTracing tracing = new InMemoryTracing();
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture(new TracedRecords(tracing.kafka()))) {
            topology.generate("v1", "alice", 100);

            SpanData handling = tracing.finishedSpans().get(0);
            assertThat(handling.getParentSpanContext().isValid()).isFalse();
            assertThat(traceparentOf(topology.commandRecords().get(0).headers())).contains(handling.getTraceId());
        }
    }

    /** Kafka lets a header have no value: such a trace header cannot stop the partition, as a record it cannot apply. */
    @Test
    void aRequestWhoseTraceHeadersCannotBeReadIsAppliedAndStartsATraceOfItsOwn() {
        InMemoryTracing tracing = new InMemoryTracing();
        try (VoucherTopologyFixture topology = new VoucherTopologyFixture(new TracedRecords(tracing.kafka()))) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(TRACEPARENT, null);
            headers.add("tracestate", null);

            topology.send(new VoucherRequest("r1", "v1", "alice", topology.now(),
                    new GenerateVoucher("acc-alice", 100L, "CNY", null, hashOf(codeOf("v1")))), headers);

            assertThat(topology.commandRecords()).hasSize(1);
            assertThat(tracing.finishedSpans()).singleElement()
                    .satisfies(handling -> assertThat(handling.getParentSpanContext().isValid()).isFalse());
        }
    }

    private static String traceparentOf(Headers headers) {
        Header header = headers.lastHeader(TRACEPARENT);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
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
